namespace FlagKit.Server.WebConsole;

/// <summary>What the instances page polls.</summary>
/// <param name="Environment">The environment.</param>
/// <param name="Revision">Its revision now.</param>
/// <param name="Rows">One array of cell texts per instance, in the table's column order.</param>
internal sealed record InstancesJson(string Environment, long Revision, IReadOnlyList<string[]> Rows);
