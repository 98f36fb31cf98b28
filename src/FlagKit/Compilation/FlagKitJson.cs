using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace FlagKit.Compilation;

/// <summary>Shortcuts to <see cref="PrimitiveJsonContext"/>.</summary>
internal static class FlagKitJson
{
    public static JsonTypeInfo<bool> Bool => PrimitiveJsonContext.Default.Boolean;

    public static JsonTypeInfo<string> String => PrimitiveJsonContext.Default.String;

    public static JsonTypeInfo<double> Double => PrimitiveJsonContext.Default.Double;
}
