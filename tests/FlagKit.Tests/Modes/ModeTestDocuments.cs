using System.Text;
using FlagKit.Modes;
using FlagKit.Sources;

namespace FlagKit.Tests.Modes;

/// <summary>Mode documents for the tests, and a client that takes modes the way the gRPC source hands them over.</summary>
internal static class ModeTestDocuments
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public static string Time(DateTimeOffset t) => t.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    public static ModeTable Compile(string json, long version = 1) => ModeCompiler.Compile(Utf8(json), version);

    /// <summary>Publishes modes into a client as its source would (the sink's internal path).</summary>
    public static void Publish(FlagClient client, string json, long version) => ((IModeSink)client).PublishModes(Compile(json, version));

    public static FlagClient NewClient(TimeProvider time) => new(new InMemoryFlagSource(), new FlagClientOptions { TimeProvider = time });
}
