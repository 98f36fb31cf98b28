using System.Text.RegularExpressions;

namespace FlagKit.Evaluation;

/// <summary>
/// <c>regex</c>: any of the patterns, compiled once for linear-time matching (<see cref="RegexOptions.NonBacktracking"/>):
/// a match costs time proportional to the text's length whatever the pattern, so no pattern can backtrack
/// catastrophically and an evaluation's cost is bounded by its patterns and the attribute's length. Patterns that need
/// backtracking (backreferences, lookarounds, atomic groups, conditionals) are refused when the flag is validated.
/// </summary>
internal sealed class RegexCondition : Condition
{
    /// <summary>
    /// A safety net on one match, never expected to fire with linear-time matching: a match that still ran past it
    /// would fault the evaluation (the caller's default with reason ERROR) instead of stalling the caller's thread.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    private const string ConstructMarker = "containing: '";

    /// <summary>Compiles one pattern as every regex condition runs it.</summary>
    /// <exception cref="ArgumentException">Not a valid regular expression.</exception>
    /// <exception cref="NotSupportedException">Valid, but needs backtracking (see <see cref="UnsupportedConstruct"/>).</exception>
    public static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, MatchTimeout);

    /// <summary>
    /// The construct a <see cref="NotSupportedException"/> from <see cref="Compile"/> names (e.g.
    /// <c>backreference (\ number)</c>); its whole message when it names none.
    /// </summary>
    public static string UnsupportedConstruct(NotSupportedException exception)
    {
        string message = exception.Message;
        int start = message.IndexOf(ConstructMarker, StringComparison.Ordinal);
        int end = message.LastIndexOf('\'');
        return start >= 0 && end > start + ConstructMarker.Length
            ? $"the construct '{message[(start + ConstructMarker.Length)..end]}'"
            : $"a construct that needs backtracking ({message})";
    }

    private readonly Regex[] _patterns;

    public RegexCondition(AttributeRef attribute, bool negate, Regex[] patterns)
        : base(attribute, negate)
    {
        _patterns = patterns;
    }

    protected override bool MatchesValue(AttributeValue value)
    {
        foreach (var pattern in _patterns)
        {
            if (pattern.IsMatch(value.Text))
            {
                return true;
            }
        }

        return false;
    }
}
