using System.Globalization;

namespace FlagKit.Server.Store.Postgres;

/// <summary>
/// The NOTIFY channel replicas hint each other on, and its payloads (a few bytes each; the data is always read from
/// the tables): <c>r:&lt;environment id&gt;:&lt;revision&gt;</c> after a commit, <c>e:&lt;environment id&gt;</c> after an
/// environment was created, <c>k</c> after an API key was created or revoked, <c>m:&lt;environment id&gt;:&lt;mode version&gt;</c>
/// after an environment's operating modes changed.
/// </summary>
internal static class ReplicationChannel
{
    /// <summary>The channel name.</summary>
    public const string Name = "flagkit_changes";

    /// <summary>The listener connection's <c>application_name</c> (find it in <c>pg_stat_activity</c>).</summary>
    public const string ListenerApplicationName = "flagkit-listener";

    /// <summary>The hint of a commit.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="revision">The committed revision.</param>
    /// <returns>The payload.</returns>
    public static string Revision(long environmentId, long revision) =>
        string.Create(CultureInfo.InvariantCulture, $"r:{environmentId}:{revision}");

    /// <summary>The hint of a new environment.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <returns>The payload.</returns>
    public static string Environment(long environmentId) => string.Create(CultureInfo.InvariantCulture, $"e:{environmentId}");

    /// <summary>The hint of an environment's operating modes changed.</summary>
    /// <param name="environmentId">The environment row.</param>
    /// <param name="version">The committed mode version.</param>
    /// <returns>The payload.</returns>
    public static string Modes(long environmentId, long version) => string.Create(CultureInfo.InvariantCulture, $"m:{environmentId}:{version}");

    /// <summary>The prefix of <see cref="Modes"/>.</summary>
    public const string ModesPrefix = "m:";

    /// <summary>The hint of an API key created or revoked.</summary>
    public const string Keys = "k";
}
