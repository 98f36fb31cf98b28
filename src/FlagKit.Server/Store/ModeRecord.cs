namespace FlagKit.Server.Store;

/// <summary>An environment's stored operating modes.</summary>
/// <param name="Version">Rises by one per change (0: never changed).</param>
/// <param name="Json">The mode document (UTF-8 JSON, schema 1).</param>
/// <param name="UpdatedAt">When it was committed.</param>
/// <param name="UpdatedBy">Who committed it.</param>
internal sealed record ModeRecord(long Version, byte[] Json, DateTimeOffset UpdatedAt, string UpdatedBy);
