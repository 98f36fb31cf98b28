using FlagKit.Compilation;
using FlagKit.Documents;

namespace FlagKit.Server.Writes;

/// <summary>
/// Adds and lifts a flag's kill sources, keeping <see cref="FlagDocument.Killed"/> equal to "any source stands" so
/// that SDKs which do not know <see cref="FlagDocument.Kills"/> still see the kill.
/// </summary>
internal static class KillEdits
{
    /// <summary>Adds <paramref name="source"/> (kept as it is when it already stands: the first kill's author and time).</summary>
    /// <param name="flag">A private copy of the flag.</param>
    /// <param name="source">The source, e.g. <c>tag:payouts</c>.</param>
    /// <param name="by">Who kills.</param>
    /// <param name="reason">Why (the write's comment; may be empty).</param>
    /// <param name="at">When (server clock).</param>
    /// <exception cref="WriteRefusedException">Invalid (INVALID_ARGUMENT) when the flag already has the most sources allowed.</exception>
    public static void Add(FlagDocument flag, string source, string by, string reason, DateTimeOffset at)
    {
        var kills = KillSources.Effective(flag).ToList();
        if (!kills.Any(k => k.Source == source))
        {
            if (kills.Count >= KillSources.MaxSources)
            {
                throw WriteRefusedException.Invalid(
                    $"Flag '{flag.Key}' already has {kills.Count} kill sources (the limit); lift some before adding '{source}'.");
            }

            kills.Add(new KillDocument
            {
                Source = source,
                By = Truncate(by, KillSources.MaxByLength),
                Reason = reason.Length == 0 ? null : Truncate(reason, KillSources.MaxReasonLength),
                At = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero),
            });
        }

        Set(flag, kills);
    }

    /// <summary>Lifts <paramref name="source"/>, or every source when it is <see langword="null"/>.</summary>
    /// <param name="flag">A private copy of the flag.</param>
    /// <param name="source">The source to lift, or null for all.</param>
    public static void Lift(FlagDocument flag, string? source)
    {
        var kills = KillSources.Effective(flag).ToList();
        kills.RemoveAll(k => source is null || k.Source == source);
        Set(flag, kills);
    }

    /// <summary>
    /// Every flag the server stores: no empty <c>kills</c> list, and <c>killed</c> set while a source stands.
    /// (<c>killed</c> without sources is left alone: a kill made before sources were recorded, the flag's own.)
    /// </summary>
    /// <param name="flag">The flag about to be stored.</param>
    public static void Normalize(FlagDocument flag)
    {
        if (flag.Kills is { Count: 0 })
        {
            flag.Kills = null;
        }

        if (flag.Kills is not null)
        {
            flag.Killed = true;
        }
    }

    private static void Set(FlagDocument flag, List<KillDocument> kills)
    {
        flag.Kills = kills.Count == 0 ? null : kills;
        flag.Killed = kills.Count > 0;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];
}
