using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// The interpolated-string handler behind <see cref="Html.Of"/>: literals are taken as markup, every hole is
/// HTML-encoded (text and attribute safe: quotes are encoded too) unless it is already <see cref="Html"/>.
/// </summary>
[InterpolatedStringHandler]
internal ref struct HtmlHandler
{
    private StringBuilder? _builder;

    /// <summary>Starts a string.</summary>
    /// <param name="literalLength">Characters of literal text.</param>
    /// <param name="formattedCount">Holes.</param>
    public HtmlHandler(int literalLength, int formattedCount) => _builder = new StringBuilder(literalLength + (formattedCount * 16));

    /// <summary>Markup written by the console.</summary>
    /// <param name="value">The literal.</param>
    public readonly void AppendLiteral(string value) => _builder!.Append(value);

    /// <summary>Trusted markup.</summary>
    /// <param name="value">The markup.</param>
    public readonly void AppendFormatted(Html value) => _builder!.Append(value.Value);

    /// <summary>Text: escaped.</summary>
    /// <param name="value">The text.</param>
    public readonly void AppendFormatted(string? value) => _builder!.Append(HtmlEncoder.Default.Encode(value ?? ""));

    /// <summary>Any other value: formatted with the invariant culture, then escaped.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    public readonly void AppendFormatted<T>(T value) =>
        AppendFormatted(value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString());

    /// <summary>The markup built.</summary>
    /// <returns>The string.</returns>
    public string ToStringAndClear()
    {
        var text = _builder!.ToString();
        _builder = null;
        return text;
    }
}
