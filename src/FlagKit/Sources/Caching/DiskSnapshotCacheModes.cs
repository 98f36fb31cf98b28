namespace FlagKit.Sources.Caching;

/// <summary>
/// The environment's operating modes in a cache file's header (the <c>modes</c> member): the mode document exactly as
/// the server sent it, its version, and a hash that catches corruption. Optional: a file written before modes were
/// cached, or by a client that never received any, has none, and its flags load all the same.
/// </summary>
internal sealed class DiskSnapshotCacheModes
{
    /// <summary>The modes' version (<c>ModeState.version</c>).</summary>
    public long Version { get; set; }

    /// <summary>The mode document (<c>ModeState.json</c>, UTF-8 JSON) as text.</summary>
    public string Json { get; set; } = "";

    /// <summary>Hex SHA-256 of <see cref="Json"/>'s UTF-8 bytes.</summary>
    public string Sha256 { get; set; } = "";
}
