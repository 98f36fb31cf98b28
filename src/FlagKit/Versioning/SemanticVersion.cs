using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace FlagKit.Versioning;

/// <summary>
/// A version as defined by Semantic Versioning 2.0.0 (<see href="https://semver.org/spec/v2.0.0.html"/>):
/// <c>MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Parsing is strict: exactly three numeric components without leading zeros, pre-release identifiers of
/// <c>[0-9A-Za-z-]</c> (numeric ones without leading zeros), build identifiers of <c>[0-9A-Za-z-]</c>, no
/// surrounding white space and no <c>v</c> prefix. A parse error says what is wrong and at which index
/// (0-based) of the text. Major, minor and patch are limited to <see cref="int.MaxValue"/>; the whole text to
/// <see cref="MaxLength"/> characters.
/// </para>
/// <para>
/// Ordering is SemVer precedence (spec item 11): major, minor and patch compared numerically; a version with
/// a pre-release is lower than the same version without; pre-release identifiers are compared one by one,
/// numeric ones numerically, others lexically in ASCII order, numeric lower than alphanumeric, and a shorter
/// list lower when all shared identifiers are equal. Build metadata is ignored for precedence, and therefore
/// also by <see cref="Equals(SemanticVersion)"/> and <see cref="GetHashCode"/>: <c>1.0.0+a</c> equals
/// <c>1.0.0+b</c> (<see cref="ToString()"/> still shows each one's metadata).
/// Comparison and equality never allocate.
/// </para>
/// <para>
/// The <c>default</c> value is <c>0.0.0</c>. Instances are immutable and safe to share between threads.
/// </para>
/// </remarks>
public readonly struct SemanticVersion : IComparable<SemanticVersion>, IEquatable<SemanticVersion>, IComparable, ISpanFormattable
{
    /// <summary>The longest text <see cref="Parse(string)"/> accepts (256 characters, as node-semver).</summary>
    public const int MaxLength = 256;

    private static readonly string[] ComponentNames = ["major", "minor", "patch"];

    private readonly string? _preRelease;
    private readonly string? _buildMetadata;

    /// <summary>Creates a version from its parts, validating each.</summary>
    /// <param name="major">The major version, 0 or more.</param>
    /// <param name="minor">The minor version, 0 or more.</param>
    /// <param name="patch">The patch version, 0 or more.</param>
    /// <param name="preRelease">Dot-separated pre-release identifiers without the leading <c>-</c>, or null/empty for none.</param>
    /// <param name="buildMetadata">Dot-separated build identifiers without the leading <c>+</c>, or null/empty for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">A numeric part is negative.</exception>
    /// <exception cref="ArgumentException">The pre-release or build metadata is not valid SemVer.</exception>
    public SemanticVersion(int major, int minor, int patch, string? preRelease = null, string? buildMetadata = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(major);
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        ArgumentOutOfRangeException.ThrowIfNegative(patch);
        if (!string.IsNullOrEmpty(preRelease))
        {
            var problem = ValidateIdentifiers(preRelease, 0, preRelease.Length, isPreRelease: true, out var at);
            if (problem is not null)
            {
                throw new ArgumentException($"Pre-release '{preRelease}' is not valid SemVer: {problem} (at index {at}).", nameof(preRelease));
            }
        }

        if (!string.IsNullOrEmpty(buildMetadata))
        {
            var problem = ValidateIdentifiers(buildMetadata, 0, buildMetadata.Length, isPreRelease: false, out var at);
            if (problem is not null)
            {
                throw new ArgumentException($"Build metadata '{buildMetadata}' is not valid SemVer: {problem} (at index {at}).", nameof(buildMetadata));
            }
        }

        Major = major;
        Minor = minor;
        Patch = patch;
        _preRelease = string.IsNullOrEmpty(preRelease) ? null : preRelease;
        _buildMetadata = string.IsNullOrEmpty(buildMetadata) ? null : buildMetadata;
    }

    // Trusted constructor: the parts are already validated.
    private SemanticVersion(int major, int minor, int patch, string? preRelease, string? buildMetadata, bool _)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        _preRelease = preRelease;
        _buildMetadata = buildMetadata;
    }

    /// <summary>The major version.</summary>
    public int Major { get; }

    /// <summary>The minor version.</summary>
    public int Minor { get; }

    /// <summary>The patch version.</summary>
    public int Patch { get; }

    /// <summary>The pre-release identifiers without the leading <c>-</c> (e.g. <c>beta.2</c>), or an empty string.</summary>
    public string PreRelease => _preRelease ?? "";

    /// <summary>The build metadata without the leading <c>+</c> (e.g. <c>sha.5114f85</c>), or an empty string.</summary>
    public string BuildMetadata => _buildMetadata ?? "";

    /// <summary>Whether this version has a pre-release part (and so ranks below the same version without one).</summary>
    public bool IsPreRelease => _preRelease is not null;

    /// <summary>Parses a SemVer 2.0.0 version.</summary>
    /// <param name="text">The text, e.g. <c>1.4.0</c> or <c>2.0.0-rc.1+build.7</c>.</param>
    /// <returns>The version.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a valid version; the message says what is wrong and at which index.</exception>
    public static SemanticVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var version, out var error))
        {
            throw new FormatException(error);
        }

        return version;
    }

    /// <summary>Parses a SemVer 2.0.0 version without throwing.</summary>
    /// <param name="text">The text; null is not a version.</param>
    /// <param name="version">The version, or <c>default</c> when the text is not one.</param>
    /// <returns>Whether the text is a valid version.</returns>
    /// <remarks>Never throws.</remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, out SemanticVersion version)
    {
        if (text is null)
        {
            version = default;
            return false;
        }

        return TryParseCore(text, 0, text.Length, out version, out _, out _) is null;
    }

    /// <summary>Parses a SemVer 2.0.0 version without throwing, and says what is wrong when it is not one.</summary>
    /// <param name="text">The text; null is not a version.</param>
    /// <param name="version">The version, or <c>default</c> when the text is not one.</param>
    /// <param name="error">Null on success; otherwise a message naming the text, the problem and its index.</param>
    /// <returns>Whether the text is a valid version.</returns>
    /// <remarks>Never throws.</remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, out SemanticVersion version, [NotNullWhen(false)] out string? error)
    {
        if (text is null)
        {
            version = default;
            error = "A semantic version is required, but the text is null.";
            return false;
        }

        var problem = TryParseCore(text, 0, text.Length, out version, out var at, out _);
        error = problem is null ? null : FormatError(text, problem, at);
        return problem is null;
    }

    /// <summary>Parses a SemVer 2.0.0 version from characters without throwing.</summary>
    /// <param name="text">The characters.</param>
    /// <param name="version">The version, or <c>default</c> when the text is not one.</param>
    /// <returns>Whether the text is a valid version.</returns>
    /// <remarks>Never throws. Allocates only the pre-release and build strings, when present.</remarks>
    public static bool TryParse(ReadOnlySpan<char> text, out SemanticVersion version)
    {
        // The core parser works on a string (it keeps substrings); a span is copied once when it holds a
        // pre-release or build part, which is the only case that needs the string.
        if (text.IndexOfAny('-', '+') < 0)
        {
            return TryParseNumbersOnly(text, out version);
        }

        var copy = text.ToString();
        return TryParseCore(copy, 0, copy.Length, out version, out _, out _) is null;
    }

    /// <summary>Compares by SemVer precedence (build metadata ignored).</summary>
    /// <param name="other">The version to compare with.</param>
    /// <returns>Negative when this version ranks lower, zero when equal in precedence, positive when higher.</returns>
    /// <remarks>Never allocates.</remarks>
    public int CompareTo(SemanticVersion other)
    {
        if (Major != other.Major)
        {
            return Major < other.Major ? -1 : 1;
        }

        if (Minor != other.Minor)
        {
            return Minor < other.Minor ? -1 : 1;
        }

        if (Patch != other.Patch)
        {
            return Patch < other.Patch ? -1 : 1;
        }

        return ComparePreRelease(_preRelease, other._preRelease);
    }

    /// <inheritdoc cref="IComparable.CompareTo(object?)"/>
    public int CompareTo(object? obj) => obj switch
    {
        null => 1,
        SemanticVersion other => CompareTo(other),
        _ => throw new ArgumentException($"Object must be of type {nameof(SemanticVersion)}.", nameof(obj)),
    };

    /// <summary>Whether both versions have the same precedence (build metadata ignored).</summary>
    /// <param name="other">The version to compare with.</param>
    /// <returns>True when major, minor, patch and pre-release are equal.</returns>
    public bool Equals(SemanticVersion other) =>
        Major == other.Major && Minor == other.Minor && Patch == other.Patch &&
        string.Equals(_preRelease, other._preRelease, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SemanticVersion other && Equals(other);

    /// <summary>A hash of major, minor, patch and pre-release (build metadata ignored, as in <see cref="Equals(SemanticVersion)"/>).</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() =>
        HashCode.Combine(Major, Minor, Patch, _preRelease is null ? 0 : StringComparer.Ordinal.GetHashCode(_preRelease));

    /// <summary>The version as SemVer text, including pre-release and build metadata.</summary>
    /// <returns>For example <c>1.0.0-rc.1+build.7</c>.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}{(_preRelease is null ? "" : "-")}{_preRelease}{(_buildMetadata is null ? "" : "+")}{_buildMetadata}");

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(
            CultureInfo.InvariantCulture,
            $"{Major}.{Minor}.{Patch}{(_preRelease is null ? "" : "-")}{_preRelease}{(_buildMetadata is null ? "" : "+")}{_buildMetadata}",
            out charsWritten);

    /// <summary>Whether <paramref name="left"/> equals <paramref name="right"/> in precedence.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>The result.</returns>
    public static bool operator ==(SemanticVersion left, SemanticVersion right) => left.Equals(right);

    /// <summary>Whether <paramref name="left"/> differs from <paramref name="right"/> in precedence.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>The result.</returns>
    public static bool operator !=(SemanticVersion left, SemanticVersion right) => !left.Equals(right);

    /// <summary>Whether <paramref name="left"/> ranks lower than <paramref name="right"/>.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>The result.</returns>
    public static bool operator <(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) < 0;

    /// <summary>Whether <paramref name="left"/> ranks lower than or equal to <paramref name="right"/>.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>The result.</returns>
    public static bool operator <=(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) <= 0;

    /// <summary>Whether <paramref name="left"/> ranks higher than <paramref name="right"/>.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>The result.</returns>
    public static bool operator >(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) > 0;

    /// <summary>Whether <paramref name="left"/> ranks higher than or equal to <paramref name="right"/>.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>The result.</returns>
    public static bool operator >=(SemanticVersion left, SemanticVersion right) => left.CompareTo(right) >= 0;

    /// <summary>Whether major, minor and patch are equal (pre-release and build ignored).</summary>
    internal bool HasSameCore(SemanticVersion other) => Major == other.Major && Minor == other.Minor && Patch == other.Patch;

    /// <summary>This version without pre-release and build metadata.</summary>
    internal SemanticVersion Core => new(Major, Minor, Patch, null, null, true);

    /// <summary>Creates a version from already validated parts (used by range desugaring).</summary>
    internal static SemanticVersion CreateTrusted(int major, int minor, int patch, string? preRelease = null) =>
        new(major, minor, patch, preRelease, null, true);

    internal static string FormatError(string text, string problem, int at) =>
        $"'{text}' is not a valid semantic version: {problem} (at index {at}).";

    /// <summary>
    /// Parses <c>text[start..end)</c>. Returns null on success, else the problem, with <paramref name="at"/> the
    /// index in <paramref name="text"/> where it was found.
    /// <paramref name="components"/> is how many numeric components were read before the problem (for
    /// callers that accept partial versions).
    /// </summary>
    internal static string? TryParseCore(string text, int start, int end, out SemanticVersion version, out int at, out int components)
    {
        version = default;
        components = 0;
        at = start;
        if (end == start)
        {
            return "the text is empty";
        }

        if (end - start > MaxLength)
        {
            return $"the text is longer than {MaxLength} characters";
        }

        var i = start;
        if (text[i] is 'v' or 'V')
        {
            return "a leading 'v' is not part of a semantic version";
        }

        Span<int> numbers = stackalloc int[3];
        var names = ComponentNames;
        for (var n = 0; n < 3; n++)
        {
            var problem = ReadNumber(text, ref i, end, names[n], out numbers[n]);
            if (problem is not null)
            {
                at = i;
                return problem;
            }

            components = n + 1;
            if (n < 2)
            {
                if (i >= end)
                {
                    at = i;
                    return $"expected '.' and the {names[n + 1]} version after the {names[n]} version, but the text ended";
                }

                if (text[i] != '.')
                {
                    at = i;
                    return $"expected '.' after the {names[n]} version, found '{text[i]}'";
                }

                i++;
            }
        }

        string? preRelease = null;
        string? build = null;
        if (i < end && text[i] == '-')
        {
            var pStart = i + 1;
            var pEnd = pStart;
            while (pEnd < end && text[pEnd] != '+')
            {
                pEnd++;
            }

            var problem = ValidateIdentifiers(text, pStart, pEnd, isPreRelease: true, out at);
            if (problem is not null)
            {
                return problem;
            }

            preRelease = text.Substring(pStart, pEnd - pStart);
            i = pEnd;
        }

        if (i < end && text[i] == '+')
        {
            var bStart = i + 1;
            var problem = ValidateIdentifiers(text, bStart, end, isPreRelease: false, out at);
            if (problem is not null)
            {
                return problem;
            }

            build = text.Substring(bStart, end - bStart);
            i = end;
        }

        if (i < end)
        {
            at = i;
            return char.IsWhiteSpace(text[i])
                ? "unexpected white space"
                : $"unexpected '{text[i]}' after the patch version (expected '-' for a pre-release or '+' for build metadata)";
        }

        version = new SemanticVersion(numbers[0], numbers[1], numbers[2], preRelease, build, true);
        return null;
    }

    private static bool TryParseNumbersOnly(ReadOnlySpan<char> text, out SemanticVersion version)
    {
        version = default;
        var i = 0;
        Span<int> numbers = stackalloc int[3];
        for (var n = 0; n < 3; n++)
        {
            var startOfNumber = i;
            long value = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                value = (value * 10) + (text[i] - '0');
                if (value > int.MaxValue)
                {
                    return false;
                }

                i++;
            }

            var length = i - startOfNumber;
            if (length == 0 || (length > 1 && text[startOfNumber] == '0'))
            {
                return false;
            }

            numbers[n] = (int)value;
            if (n < 2)
            {
                if (i >= text.Length || text[i] != '.')
                {
                    return false;
                }

                i++;
            }
        }

        if (i != text.Length)
        {
            return false;
        }

        version = new SemanticVersion(numbers[0], numbers[1], numbers[2], null, null, true);
        return true;
    }

    private static string? ReadNumber(string text, ref int i, int end, string name, out int value)
    {
        value = 0;
        var start = i;
        long accumulated = 0;
        while (i < end && char.IsAsciiDigit(text[i]))
        {
            accumulated = (accumulated * 10) + (text[i] - '0');
            if (accumulated > int.MaxValue)
            {
                i = start;
                return $"the {name} version is larger than {int.MaxValue}";
            }

            i++;
        }

        if (i == start)
        {
            return i >= end
                ? $"expected the {name} version, but the text ended"
                : char.IsWhiteSpace(text[i])
                    ? $"unexpected white space where the {name} version should be"
                    : $"expected a digit for the {name} version, found '{text[i]}'";
        }

        if (i - start > 1 && text[start] == '0')
        {
            i = start;
            return $"the {name} version has a leading zero";
        }

        value = (int)accumulated;
        return null;
    }

    /// <summary>Validates dot-separated identifiers in <c>text[start..end)</c>. Returns null when valid.</summary>
    internal static string? ValidateIdentifiers(string text, int start, int end, bool isPreRelease, out int at)
    {
        var what = isPreRelease ? "pre-release" : "build metadata";
        at = start;
        if (start == end)
        {
            return $"the {what} is empty";
        }

        var idStart = start;
        for (var i = start; i <= end; i++)
        {
            if (i == end || text[i] == '.')
            {
                if (i == idStart)
                {
                    at = i;
                    return $"a {what} identifier is empty";
                }

                if (isPreRelease && i - idStart > 1 && text[idStart] == '0' && IsAllDigits(text.AsSpan(idStart, i - idStart)))
                {
                    at = idStart;
                    return "a numeric pre-release identifier has a leading zero";
                }

                idStart = i + 1;
                continue;
            }

            var c = text[i];
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                at = i;
                return char.IsWhiteSpace(c)
                    ? $"unexpected white space in the {what}"
                    : $"'{c}' is not allowed in the {what} (only [0-9A-Za-z-] and '.' between identifiers)";
            }
        }

        return null;
    }

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>SemVer 2.0.0 item 11.3–11.4, walking both strings without splitting them.</summary>
    private static int ComparePreRelease(string? left, string? right)
    {
        if (ReferenceEquals(left, right))
        {
            return 0;
        }

        // No pre-release ranks higher than any pre-release.
        if (left is null)
        {
            return 1;
        }

        if (right is null)
        {
            return -1;
        }

        var l = left.AsSpan();
        var r = right.AsSpan();
        while (true)
        {
            if (l.IsEmpty || r.IsEmpty)
            {
                // A larger set of identifiers ranks higher when all preceding ones are equal.
                return l.IsEmpty ? (r.IsEmpty ? 0 : -1) : 1;
            }

            var lDot = l.IndexOf('.');
            var rDot = r.IndexOf('.');
            var lId = lDot < 0 ? l : l[..lDot];
            var rId = rDot < 0 ? r : r[..rDot];
            var lNumeric = IsAllDigits(lId);
            var rNumeric = IsAllDigits(rId);
            int result;
            if (lNumeric && rNumeric)
            {
                // No leading zeros (validated), so a longer number is a larger one; equal lengths compare by digits.
                result = lId.Length != rId.Length ? lId.Length.CompareTo(rId.Length) : lId.SequenceCompareTo(rId);
            }
            else if (lNumeric != rNumeric)
            {
                // Numeric identifiers always have lower precedence than alphanumeric ones.
                result = lNumeric ? -1 : 1;
            }
            else
            {
                // ASCII sort order (ordinal on chars in [0-9A-Za-z-]).
                result = lId.SequenceCompareTo(rId);
            }

            if (result != 0)
            {
                return result < 0 ? -1 : 1;
            }

            // Identifiers are never empty (validated), so an empty remainder is the end of the list.
            l = lDot < 0 ? [] : l[(lDot + 1)..];
            r = rDot < 0 ? [] : r[(rDot + 1)..];
        }
    }
}
