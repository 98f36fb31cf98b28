using System.Globalization;
using System.Text;

namespace FlagKit.Server.Hosting;

/// <summary>
/// Text a client chose (a Hello field, an actor header, a peer string) made safe to write into a log line: cut to a
/// bound, and every character that could forge or hide a line (control characters, line and paragraph separators,
/// invisible format characters such as bidi overrides, a lone surrogate, and the backslash itself) written as an
/// escape. Every log call that carries client text goes through <see cref="ForLog"/>.
/// </summary>
internal static class UntrustedText
{
    /// <summary>Characters of client text kept in a log line.</summary>
    public const int MaxLogChars = 256;

    /// <summary>The text, escaped and cut to <paramref name="max"/> characters (the number cut is said).</summary>
    /// <param name="text">Client text (null is written as empty).</param>
    /// <param name="max">Characters kept before escaping.</param>
    /// <returns>One line of printable text.</returns>
    public static string ForLog(string? text, int max = MaxLogChars)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var shown = Math.Min(text.Length, max);
        if (shown < text.Length && shown > 0 && char.IsHighSurrogate(text[shown - 1]))
        {
            shown--;
        }

        var builder = new StringBuilder(shown + 16);
        for (var i = 0; i < shown; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < shown && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (NeedsEscape(c))
            {
                Escape(builder, c);
            }
            else
            {
                builder.Append(c);
            }
        }

        if (shown < text.Length)
        {
            builder.Append("…(+").Append((text.Length - shown).ToString(CultureInfo.InvariantCulture)).Append(" chars)");
        }

        return builder.ToString();
    }

    private static bool NeedsEscape(char c) =>
        c == '\\' || char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029'
        || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format;

    private static void Escape(StringBuilder builder, char c)
    {
        switch (c)
        {
            case '\\':
                builder.Append(@"\\");
                break;
            case '\n':
                builder.Append(@"\n");
                break;
            case '\r':
                builder.Append(@"\r");
                break;
            case '\t':
                builder.Append(@"\t");
                break;
            default:
                builder.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                break;
        }
    }
}
