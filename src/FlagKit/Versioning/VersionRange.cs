using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace FlagKit.Versioning;

/// <summary>
/// A set of <see cref="SemanticVersion"/>s written with the range grammar of npm's node-semver:
/// comparators (<c>&gt;=2.3.0 &lt;4.0.0</c>), caret (<c>^3.1</c>), tilde (<c>~1.4</c>), x-ranges (<c>1.x</c>,
/// <c>1.2.*</c>, <c>*</c>), hyphen ranges (<c>1.2 - 2.3.4</c>) and alternatives joined by <c>||</c>.
/// </summary>
/// <remarks>
/// <para>
/// Grammar and meaning follow node-semver (<see href="https://github.com/npm/node-semver#ranges"/>) in its
/// default (strict, <c>includePrerelease: false</c>) mode. Comparators separated by white space must all hold;
/// <c>||</c> separates alternatives, any of which may hold. Partial versions are filled in as node-semver does:
/// <c>&gt;=2.3</c> is <c>&gt;=2.3.0</c>, <c>&gt;2.3</c> is <c>&gt;=2.4.0</c>, <c>&lt;=2.3</c> is <c>&lt;2.4.0-0</c>,
/// <c>1.2</c> and <c>1.2.x</c> are <c>&gt;=1.2.0 &lt;1.3.0-0</c>, <c>^0.2.3</c> is <c>&gt;=0.2.3 &lt;0.3.0-0</c>,
/// <c>~1.2.3</c> is <c>&gt;=1.2.3 &lt;1.3.0-0</c>, <c>1.2 - 2.3</c> is <c>&gt;=1.2.0 &lt;2.4.0-0</c>, an empty range
/// or <c>*</c> is any release. <see cref="Normalized"/> shows the comparators a range desugars to.
/// A comparator may carry a leading <c>v</c> (<c>&gt;=v1.2.0</c>) and white space after its operator
/// (<c>&gt;= 1.2.0</c>); <c>~&gt;</c> is read as <c>~</c>. Build metadata in a range is ignored.
/// </para>
/// <para>
/// Pre-releases: a version with a pre-release tag (<c>3.1.0-beta.2</c>) satisfies a range only when every
/// comparator of one alternative holds <em>and</em> some comparator of that alternative names the same
/// <c>major.minor.patch</c> with a pre-release tag. So <c>&gt;=3.1.0-beta.1</c> admits <c>3.1.0-beta.2</c> but
/// not <c>3.2.0-alpha</c>, and <c>^3.0.0</c> and <c>*</c> admit no pre-release at all. Pre-releases are opt-in,
/// one release line at a time, exactly as in npm.
/// </para>
/// <para>
/// Parsing does the work once; <see cref="IsSatisfiedBy"/> never allocates and never throws. Instances are
/// immutable and safe to share between threads.
/// </para>
/// </remarks>
public sealed class VersionRange
{
    /// <summary>The longest text <see cref="Parse(string)"/> accepts.</summary>
    public const int MaxLength = 2048;

    private static readonly string[] ComponentNames = ["major", "minor", "patch"];

    // Alternatives (||) of comparator sets (AND). An empty set admits every release.
    private readonly Comparator[][] _alternatives;

    private VersionRange(string text, Comparator[][] alternatives)
    {
        Text = text;
        _alternatives = alternatives;
        Normalized = BuildNormalized(alternatives);
    }

    /// <summary>The range that admits every release (<c>*</c>); no pre-release satisfies it.</summary>
    public static VersionRange Any { get; } = new("*", [[]]);

    /// <summary>The range as written (trimmed).</summary>
    public string Text { get; }

    /// <summary>
    /// The primitive comparators the range desugars to, e.g. <c>&gt;=1.2.3 &lt;2.0.0-0</c> for <c>^1.2.3</c>;
    /// alternatives joined by <c> || </c>, <c>*</c> for an alternative without comparators.
    /// </summary>
    public string Normalized { get; }

    /// <summary>Parses a range.</summary>
    /// <param name="text">The range, e.g. <c>^3.0</c> or <c>&gt;=2.5.0 &lt;3.0.0 || ^3.1</c>.</param>
    /// <returns>The range.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a valid range; the message says what is wrong and at which index.</exception>
    public static VersionRange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var range, out var error))
        {
            throw new FormatException(error);
        }

        return range;
    }

    /// <summary>Parses a range without throwing.</summary>
    /// <param name="text">The range; null is not a range.</param>
    /// <param name="range">The range, or null when the text is not one.</param>
    /// <returns>Whether the text is a valid range.</returns>
    /// <remarks>Never throws.</remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out VersionRange? range) =>
        TryParse(text, out range, out _);

    /// <summary>Parses a range without throwing, and says what is wrong when it is not one.</summary>
    /// <param name="text">The range; null is not a range.</param>
    /// <param name="range">The range, or null when the text is not one.</param>
    /// <param name="error">Null on success; otherwise a message naming the text, the problem and its index.</param>
    /// <returns>Whether the text is a valid range.</returns>
    /// <remarks>Never throws.</remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out VersionRange? range, [NotNullWhen(false)] out string? error)
    {
        range = null;
        if (text is null)
        {
            error = "A version range is required, but the text is null.";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"The version range is longer than {MaxLength} characters.";
            return false;
        }

        var alternatives = new List<Comparator[]>();
        var start = 0;
        while (true)
        {
            var bar = text.IndexOf("||", start, StringComparison.Ordinal);
            var end = bar < 0 ? text.Length : bar;
            var problem = ParseAlternative(text, start, end, alternatives, out var at);
            if (problem is not null)
            {
                error = $"'{text}' is not a valid version range: {problem} (at index {at}).";
                return false;
            }

            if (bar < 0)
            {
                break;
            }

            start = bar + 2;
        }

        range = new VersionRange(text.Trim(), [.. alternatives]);
        error = null;
        return true;
    }

    /// <summary>Whether <paramref name="version"/> is in this range (see the remarks on pre-releases).</summary>
    /// <param name="version">The version to test.</param>
    /// <returns>True when some alternative admits the version.</returns>
    /// <remarks>Never allocates; never throws.</remarks>
    public bool IsSatisfiedBy(SemanticVersion version)
    {
        foreach (var set in _alternatives)
        {
            if (SetAdmits(set, version))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The highest of <paramref name="versions"/> in this range, or null when none is.</summary>
    /// <param name="versions">Candidate versions, in any order.</param>
    /// <returns>The highest satisfying version, or null.</returns>
    public SemanticVersion? MaxSatisfying(IEnumerable<SemanticVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        SemanticVersion? best = null;
        foreach (var v in versions)
        {
            if (IsSatisfiedBy(v) && (best is null || v > best.Value))
            {
                best = v;
            }
        }

        return best;
    }

    /// <summary>The range as written.</summary>
    /// <returns><see cref="Text"/>.</returns>
    public override string ToString() => Text;

    private static bool SetAdmits(Comparator[] set, SemanticVersion version)
    {
        foreach (var comparator in set)
        {
            if (!comparator.Test(version))
            {
                return false;
            }
        }

        if (!version.IsPreRelease)
        {
            return true;
        }

        // node-semver: a pre-release passes only when a comparator of this set opts its release line in.
        foreach (var comparator in set)
        {
            if (comparator.Version.IsPreRelease && comparator.Version.HasSameCore(version))
            {
                return true;
            }
        }

        return false;
    }

    private static string? ParseAlternative(string text, int start, int end, List<Comparator[]> alternatives, out int at)
    {
        at = start;

        // Tokens separated by white space; an operator standing alone joins the token after it (">= 1.2.3").
        var tokens = new List<(int Start, int End)>();
        var i = start;
        while (i < end)
        {
            while (i < end && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= end)
            {
                break;
            }

            var tokenStart = i;
            while (i < end && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (IsOperatorOnly(text.AsSpan(tokenStart, i - tokenStart)))
            {
                while (i < end && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }

                if (i >= end)
                {
                    at = tokenStart;
                    return $"the operator '{text[tokenStart..i].TrimEnd()}' has no version after it";
                }

                while (i < end && !char.IsWhiteSpace(text[i]))
                {
                    i++;
                }
            }

            tokens.Add((tokenStart, i));
        }

        var comparators = new List<Comparator>();
        if (tokens.Count == 3 && IsHyphen(text, tokens[1]))
        {
            var problem = ParseHyphen(text, tokens[0], tokens[2], comparators, out at);
            if (problem is not null)
            {
                return problem;
            }
        }
        else
        {
            foreach (var token in tokens)
            {
                if (IsHyphen(text, token))
                {
                    at = token.Start;
                    return "a hyphen range must be exactly 'LOW - HIGH' (two versions around ' - ', nothing else in that alternative)";
                }

                var problem = ParseComparator(text, token.Start, token.End, comparators, out at);
                if (problem is not null)
                {
                    return problem;
                }
            }
        }

        alternatives.Add([.. comparators]);
        return null;
    }

    private static bool IsHyphen(string text, (int Start, int End) token) => token.End - token.Start == 1 && text[token.Start] == '-';

    private static bool IsOperatorOnly(ReadOnlySpan<char> token)
    {
        if (token.IsEmpty)
        {
            return false;
        }

        foreach (var c in token)
        {
            if (c is not ('<' or '>' or '=' or '~' or '^'))
            {
                return false;
            }
        }

        return true;
    }

    private static string? ParseHyphen(string text, (int Start, int End) low, (int Start, int End) high, List<Comparator> comparators, out int at)
    {
        var problem = ParsePartial(text, low.Start, low.End, out var from, out at);
        if (problem is not null)
        {
            return problem;
        }

        problem = ParsePartial(text, high.Start, high.End, out var to, out at);
        if (problem is not null)
        {
            return problem;
        }

        at = low.Start;
        switch (from.Count)
        {
            case 0:
                break;
            case 1:
                comparators.Add(new Comparator(ComparatorOp.GreaterOrEqual, SemanticVersion.CreateTrusted(from.Major, 0, 0)));
                break;
            case 2:
                comparators.Add(new Comparator(ComparatorOp.GreaterOrEqual, SemanticVersion.CreateTrusted(from.Major, from.Minor, 0)));
                break;
            default:
                comparators.Add(new Comparator(ComparatorOp.GreaterOrEqual, from.Full));
                break;
        }

        at = high.Start;
        switch (to.Count)
        {
            case 0:
                break;
            case 1:
                if (!TryBump(to.Major, out var nextMajor, out problem))
                {
                    return problem;
                }

                comparators.Add(new Comparator(ComparatorOp.Less, SemanticVersion.CreateTrusted(nextMajor, 0, 0, "0")));
                break;
            case 2:
                if (!TryBump(to.Minor, out var nextMinor, out problem))
                {
                    return problem;
                }

                comparators.Add(new Comparator(ComparatorOp.Less, SemanticVersion.CreateTrusted(to.Major, nextMinor, 0, "0")));
                break;
            default:
                comparators.Add(new Comparator(ComparatorOp.LessOrEqual, to.Full));
                break;
        }

        return null;
    }

    private static string? ParseComparator(string text, int start, int end, List<Comparator> comparators, out int at)
    {
        var i = start;
        var op = Operator.None;
        if (text.AsSpan(i, end - i).StartsWith(">="))
        {
            op = Operator.GreaterOrEqual;
            i += 2;
        }
        else if (text.AsSpan(i, end - i).StartsWith("<="))
        {
            op = Operator.LessOrEqual;
            i += 2;
        }
        else if (text.AsSpan(i, end - i).StartsWith("~>"))
        {
            op = Operator.Tilde;
            i += 2;
        }
        else
        {
            switch (text[i])
            {
                case '>': op = Operator.Greater; i++; break;
                case '<': op = Operator.Less; i++; break;
                case '=': op = Operator.Equal; i++; break;
                case '~': op = Operator.Tilde; i++; break;
                case '^': op = Operator.Caret; i++; break;
            }
        }

        while (i < end && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        if (i < end && text[i] is '<' or '>' or '=' or '~' or '^')
        {
            at = i;
            return $"unexpected '{text[i]}': one operator per comparator (<, <=, >, >=, =, ~, ^)";
        }

        var problem = ParsePartial(text, i, end, out var p, out at);
        if (problem is not null)
        {
            return problem;
        }

        at = start;
        switch (op)
        {
            case Operator.None or Operator.Equal:
                return p.Count switch
                {
                    0 => null,
                    1 => AddRange(comparators, SemanticVersion.CreateTrusted(p.Major, 0, 0), p.Major, -1),
                    2 => AddRange(comparators, SemanticVersion.CreateTrusted(p.Major, p.Minor, 0), p.Major, p.Minor),
                    _ => Add(comparators, ComparatorOp.Equal, p.Full),
                };
            case Operator.Greater:
                return p.Count switch
                {
                    0 => Add(comparators, ComparatorOp.Less, SemanticVersion.CreateTrusted(0, 0, 0, "0")),
                    1 => TryBump(p.Major, out var m, out var e) ? Add(comparators, ComparatorOp.GreaterOrEqual, SemanticVersion.CreateTrusted(m, 0, 0)) : e,
                    2 => TryBump(p.Minor, out var n, out var e) ? Add(comparators, ComparatorOp.GreaterOrEqual, SemanticVersion.CreateTrusted(p.Major, n, 0)) : e,
                    _ => Add(comparators, ComparatorOp.Greater, p.Full),
                };
            case Operator.GreaterOrEqual:
                return p.Count switch
                {
                    0 => null,
                    1 => Add(comparators, ComparatorOp.GreaterOrEqual, SemanticVersion.CreateTrusted(p.Major, 0, 0)),
                    2 => Add(comparators, ComparatorOp.GreaterOrEqual, SemanticVersion.CreateTrusted(p.Major, p.Minor, 0)),
                    _ => Add(comparators, ComparatorOp.GreaterOrEqual, p.Full),
                };
            case Operator.Less:
                return p.Count switch
                {
                    0 => Add(comparators, ComparatorOp.Less, SemanticVersion.CreateTrusted(0, 0, 0, "0")),
                    1 => Add(comparators, ComparatorOp.Less, SemanticVersion.CreateTrusted(p.Major, 0, 0, "0")),
                    2 => Add(comparators, ComparatorOp.Less, SemanticVersion.CreateTrusted(p.Major, p.Minor, 0, "0")),
                    _ => Add(comparators, ComparatorOp.Less, p.Full),
                };
            case Operator.LessOrEqual:
                return p.Count switch
                {
                    0 => null,
                    1 => TryBump(p.Major, out var m, out var e) ? Add(comparators, ComparatorOp.Less, SemanticVersion.CreateTrusted(m, 0, 0, "0")) : e,
                    2 => TryBump(p.Minor, out var n, out var e) ? Add(comparators, ComparatorOp.Less, SemanticVersion.CreateTrusted(p.Major, n, 0, "0")) : e,
                    _ => Add(comparators, ComparatorOp.LessOrEqual, p.Full),
                };
            case Operator.Tilde:
                return p.Count switch
                {
                    0 => null,
                    1 => AddRange(comparators, SemanticVersion.CreateTrusted(p.Major, 0, 0), p.Major, -1),
                    2 => AddRange(comparators, SemanticVersion.CreateTrusted(p.Major, p.Minor, 0), p.Major, p.Minor),
                    _ => AddRange(comparators, p.Full, p.Major, p.Minor),
                };
            default: // Caret: bump the left-most non-zero component of those given.
                return p.Count switch
                {
                    0 => null,
                    1 => AddRange(comparators, SemanticVersion.CreateTrusted(p.Major, 0, 0), p.Major, -1),
                    2 when p.Major != 0 => AddRange(comparators, SemanticVersion.CreateTrusted(p.Major, p.Minor, 0), p.Major, -1),
                    2 => AddRange(comparators, SemanticVersion.CreateTrusted(0, p.Minor, 0), 0, p.Minor),
                    _ when p.Major != 0 => AddRange(comparators, p.Full, p.Major, -1),
                    _ when p.Minor != 0 => AddRange(comparators, p.Full, 0, p.Minor),
                    _ => AddPatchRange(comparators, p.Full),
                };
        }
    }

    private static string? Add(List<Comparator> comparators, ComparatorOp op, SemanticVersion version)
    {
        comparators.Add(new Comparator(op, version));
        return null;
    }

    // >=low <(major+1).0.0-0 when minor is -1, else >=low <major.(minor+1).0-0.
    private static string? AddRange(List<Comparator> comparators, SemanticVersion low, int major, int minor)
    {
        SemanticVersion high;
        if (minor < 0)
        {
            if (!TryBump(major, out var next, out var problem))
            {
                return problem;
            }

            high = SemanticVersion.CreateTrusted(next, 0, 0, "0");
        }
        else
        {
            if (!TryBump(minor, out var next, out var problem))
            {
                return problem;
            }

            high = SemanticVersion.CreateTrusted(major, next, 0, "0");
        }

        comparators.Add(new Comparator(ComparatorOp.GreaterOrEqual, low));
        comparators.Add(new Comparator(ComparatorOp.Less, high));
        return null;
    }

    private static string? AddPatchRange(List<Comparator> comparators, SemanticVersion low)
    {
        if (!TryBump(low.Patch, out var next, out var problem))
        {
            return problem;
        }

        comparators.Add(new Comparator(ComparatorOp.GreaterOrEqual, low));
        comparators.Add(new Comparator(ComparatorOp.Less, SemanticVersion.CreateTrusted(0, 0, next, "0")));
        return null;
    }

    private static bool TryBump(int value, out int next, out string? problem)
    {
        if (value == int.MaxValue)
        {
            next = 0;
            problem = $"{int.MaxValue} cannot be raised to form the range's upper bound";
            return false;
        }

        next = value + 1;
        problem = null;
        return true;
    }

    private static string? ParsePartial(string text, int start, int end, out Partial partial, out int at)
    {
        partial = default;
        at = start;
        var i = start;
        if (i < end && text[i] is 'v' or 'V')
        {
            i++;
        }

        if (i >= end)
        {
            at = i;
            return "expected a version, but the comparator ended";
        }

        var count = 0;
        var wildcard = false;
        Span<int> numbers = stackalloc int[3];
        for (var n = 0; n < 3; n++)
        {
            if (i >= end)
            {
                at = i;
                return $"expected the {ComponentNames[n]} version after '.', but the comparator ended";
            }

            if (text[i] is 'x' or 'X' or '*')
            {
                wildcard = true;
                i++;
            }
            else if (char.IsAsciiDigit(text[i]))
            {
                if (wildcard)
                {
                    at = i;
                    return $"the {ComponentNames[n]} version cannot be a number after a wildcard";
                }

                var numberStart = i;
                long value = 0;
                while (i < end && char.IsAsciiDigit(text[i]))
                {
                    value = (value * 10) + (text[i] - '0');
                    if (value > int.MaxValue)
                    {
                        at = numberStart;
                        return $"the {ComponentNames[n]} version is larger than {int.MaxValue}";
                    }

                    i++;
                }

                if (i - numberStart > 1 && text[numberStart] == '0')
                {
                    at = numberStart;
                    return $"the {ComponentNames[n]} version has a leading zero";
                }

                numbers[n] = (int)value;
                count++;
            }
            else
            {
                at = i;
                return $"expected a number or a wildcard (x, X, *) for the {ComponentNames[n]} version, found '{text[i]}'";
            }

            if (i >= end)
            {
                break;
            }

            if (text[i] == '.' && n < 2)
            {
                i++;
                continue;
            }

            break;
        }

        SemanticVersion full = default;
        if (i < end)
        {
            if (text[i] is '-' or '+')
            {
                if (count < 3)
                {
                    at = i;
                    return text[i] == '-'
                        ? "a pre-release needs a full major.minor.patch version"
                        : "build metadata needs a full major.minor.patch version";
                }

                var problem = SemanticVersion.TryParseCore(text, start + (text[start] is 'v' or 'V' ? 1 : 0), end, out full, out at, out _);
                if (problem is not null)
                {
                    return problem;
                }
            }
            else
            {
                at = i;
                return $"unexpected '{text[i]}' in a version (expected '.', '-', '+' or white space)";
            }
        }
        else if (count == 3)
        {
            full = SemanticVersion.CreateTrusted(numbers[0], numbers[1], numbers[2]);
        }

        partial = new Partial(count, numbers[0], numbers[1], numbers[2], count == 3 ? StripBuild(full) : default);
        return null;
    }

    private static SemanticVersion StripBuild(SemanticVersion version) =>
        SemanticVersion.CreateTrusted(version.Major, version.Minor, version.Patch, version.IsPreRelease ? version.PreRelease : null);

    private static string BuildNormalized(Comparator[][] alternatives)
    {
        var sb = new StringBuilder();
        for (var a = 0; a < alternatives.Length; a++)
        {
            if (a > 0)
            {
                sb.Append(" || ");
            }

            var set = alternatives[a];
            if (set.Length == 0)
            {
                sb.Append('*');
                continue;
            }

            for (var c = 0; c < set.Length; c++)
            {
                if (c > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(set[c].ToString());
            }
        }

        return sb.ToString();
    }

    private enum Operator
    {
        None,
        Equal,
        Greater,
        GreaterOrEqual,
        Less,
        LessOrEqual,
        Tilde,
        Caret,
    }

    // Count: how many of major, minor, patch were numbers (0 for '*' or 'x'). Full is set when Count is 3.
    private readonly record struct Partial(int Count, int Major, int Minor, int Patch, SemanticVersion Full);
}
