using System.Globalization;
using FlagKit.Documents;

namespace FlagKit.Compilation;

/// <summary>
/// A flag's kill sources (<see cref="FlagDocument.Kills"/>): their shape, their limits, and whether they kill the flag.
/// Shared by the SDK's compiler, the server's kill / unkill edits and the CLI's display.
/// </summary>
internal static class KillSources
{
    /// <summary>At most this many sources on one flag.</summary>
    public const int MaxSources = 64;

    /// <summary>At most this many characters in a tag or incident id of a source.</summary>
    public const int MaxNameLength = 128;

    /// <summary>At most this many characters in <see cref="KillDocument.By"/>.</summary>
    public const int MaxByLength = 200;

    /// <summary>At most this many characters in <see cref="KillDocument.Reason"/>.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>The flag's own kill.</summary>
    public const string Flag = "flag";

    /// <summary>The prefix of a tag kill's source.</summary>
    public const string TagPrefix = "tag:";

    /// <summary>The prefix of an incident kill's source.</summary>
    public const string IncidentPrefix = "incident:";

    /// <summary>The source of a kill of every flag carrying <paramref name="tag"/>.</summary>
    public static string Tag(string tag) => TagPrefix + tag;

    /// <summary>The source of a kill made for incident <paramref name="id"/>.</summary>
    public static string Incident(string id) => IncidentPrefix + id;

    /// <summary>Whether the flag is killed: its <c>killed</c> bit, or any kill source.</summary>
    public static bool IsKilled(FlagDocument flag) => flag.Killed || flag.Kills is { Count: > 0 };

    /// <summary>
    /// The sources that hold the flag down: <see cref="FlagDocument.Kills"/>, or, for a flag killed before sources were
    /// recorded (<c>killed</c> and no kills), its own kill with no author.
    /// </summary>
    public static IReadOnlyList<KillDocument> Effective(FlagDocument flag) =>
        flag.Kills is { Count: > 0 } kills ? kills : flag.Killed ? [new KillDocument { Source = Flag }] : [];

    /// <summary>One line for a source: <c>tag:payouts (INC-B, ops@example.com)</c>.</summary>
    public static string Describe(KillDocument kill)
    {
        var details = new[] { kill.Reason, kill.By }.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        return details.Count == 0 ? kill.Source : $"{kill.Source} ({string.Join(", ", details)})";
    }

    /// <summary>Every source on one line, separated by <c>; </c>.</summary>
    public static string Describe(IEnumerable<KillDocument> kills) => string.Join("; ", kills.Select(Describe));

    /// <summary>What is wrong with a source's shape, or <see langword="null"/>.</summary>
    public static string? SourceProblem(string? source)
    {
        if (string.IsNullOrEmpty(source))
        {
            return "the kill source is missing; expected 'flag', 'tag:<tag>' or 'incident:<id>'";
        }

        if (source == Flag)
        {
            return null;
        }

        var name = source.StartsWith(TagPrefix, StringComparison.Ordinal) ? source[TagPrefix.Length..]
            : source.StartsWith(IncidentPrefix, StringComparison.Ordinal) ? source[IncidentPrefix.Length..]
            : null;
        if (name is null)
        {
            return $"unknown kill source '{Shorten(source)}'; expected 'flag', 'tag:<tag>' or 'incident:<id>'";
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl) || name.Trim().Length != name.Length)
        {
            return $"kill source '{Shorten(source)}' needs a name of 1 to {MaxNameLength} characters after the prefix, without control characters or surrounding spaces";
        }

        return null;
    }

    /// <summary>Checks a flag's kills, adding each problem (with its JSON path) to <paramref name="errors"/>.</summary>
    public static void Validate(List<KillDocument>? kills, in JsonPath path, DocumentErrors errors)
    {
        if (kills is null || kills.Count == 0)
        {
            return;
        }

        // The limit first: a flag with thousands of sources is refused before any of them is looked at.
        if (kills.Count > MaxSources)
        {
            errors.Add(path, $"a flag has at most {MaxSources} kill sources, found {kills.Count.ToString(CultureInfo.InvariantCulture)}");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < kills.Count; i++)
        {
            var itemPath = path.Item(i);
            if (kills[i] is not { } kill)
            {
                errors.Add(itemPath, "expected a kill object, found null");
                continue;
            }

            if (SourceProblem(kill.Source) is { } problem)
            {
                errors.Add(itemPath.Property("source"), problem);
            }
            else if (!seen.Add(kill.Source))
            {
                errors.Add(itemPath.Property("source"), $"kill source '{kill.Source}' is listed twice");
            }

            if (kill.By is { Length: > MaxByLength })
            {
                errors.Add(itemPath.Property("by"), $"at most {MaxByLength} characters, found {kill.By.Length.ToString(CultureInfo.InvariantCulture)}");
            }

            if (kill.Reason is { Length: > MaxReasonLength })
            {
                errors.Add(itemPath.Property("reason"), $"at most {MaxReasonLength} characters, found {kill.Reason.Length.ToString(CultureInfo.InvariantCulture)}");
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
