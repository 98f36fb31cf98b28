using System.Text.Json.Serialization;

namespace FlagKit.Sources.Caching;

/// <summary>
/// The first line of a snapshot cache file: what the payload (a flags file, JSON) is, and how to know it is whole, and
/// the operating modes (<see cref="Modes"/>).
/// </summary>
/// <remarks>
/// Members are only ever added, and an added member is optional: readers skip members they do not know (System.Text.Json's
/// default), so an older SDK still loads the flags of a newer file, and a newer SDK loads an older file.
/// <see cref="CurrentFormatVersion"/> rises only for a change an older reader would misread.
/// </remarks>
internal sealed class DiskSnapshotCacheHeader
{
    /// <summary>The value of <see cref="Format"/> in every FlagKit cache file.</summary>
    public const string FormatName = "flagkit-snapshot-cache";

    /// <summary>The layout version this SDK writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Always <see cref="FormatName"/>: recognises the file.</summary>
    public string Format { get; set; } = "";

    /// <summary>Layout version of the file.</summary>
    public int FormatVersion { get; set; }

    /// <summary>Flag document schema of the payload.</summary>
    public int Schema { get; set; }

    /// <summary>Environment revision the payload is complete at.</summary>
    public long Revision { get; set; }

    /// <summary>The snapshot's content hash (hex SHA-256 of canonical content) when it was written; informative.</summary>
    public string ContentHash { get; set; } = "";

    /// <summary>Environment the snapshot belongs to.</summary>
    public string Environment { get; set; } = "";

    /// <summary>Server the snapshot came from.</summary>
    public string Server { get; set; } = "";

    /// <summary>When the file was written (from the source's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset WrittenAt { get; set; }

    /// <summary>Length in bytes of the payload that follows the header line.</summary>
    public long PayloadLength { get; set; }

    /// <summary>Hex SHA-256 of the payload bytes: catches truncation and corruption.</summary>
    public string PayloadSha256 { get; set; } = "";

    /// <summary>
    /// The environment's operating modes when the file was written; null when none were known (or the file predates
    /// cached modes). An added, optional member: the format version stays 1.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DiskSnapshotCacheModes? Modes { get; set; }
}

/// <summary>Source-generated JSON metadata for <see cref="DiskSnapshotCacheHeader"/> (AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(DiskSnapshotCacheHeader))]
internal sealed partial class DiskSnapshotCacheJsonContext : JsonSerializerContext;
