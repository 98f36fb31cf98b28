using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using Google.Protobuf;

namespace FlagKit.Sources.Caching;

/// <summary>
/// The last good snapshot on disk, so that a process that starts while the server is unreachable can serve what
/// it last knew instead of caller defaults.
/// </summary>
/// <remarks>
/// <para>
/// File layout: one line of JSON header (<see cref="DiskSnapshotCacheHeader"/>: format, schema, revision, content
/// hash, payload length and SHA-256, and the operating modes with their own SHA-256), a newline, then the payload: the
/// snapshot's documents as a flags file (the same JSON ops write), so the file can be read and diffed by a person.
/// </para>
/// <para>
/// The modes are optional and judged apart from the flags: a file without them (written before modes were cached)
/// loads its flags with no modes; a file whose modes are damaged loads its flags and reports the modes' problem.
/// </para>
/// <para>
/// Writes are atomic: the bytes go to a temporary file in the same directory, flushed to disk, then renamed over
/// the cache file, so a reader (or a crash) sees the old file or the new one, never half of one. Loading checks the
/// header, the schema, the length and the hash; a corrupt, truncated or unknown-format file is reported and
/// ignored, never half-applied.
/// </para>
/// <para>Thread safety: writes from one thread at a time (the sync loop); loads may run at any time.</para>
/// </remarks>
internal sealed class DiskSnapshotCache
{
    private readonly TimeProvider _time;

    /// <param name="path">Full path of the cache file.</param>
    /// <param name="environment">Environment recorded in (and expected from) the file.</param>
    /// <param name="server">Server address recorded in the file.</param>
    /// <param name="time">Clock for the written-at stamp.</param>
    public DiskSnapshotCache(string path, string environment, string server, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FilePath = Path.GetFullPath(path);
        Environment = environment;
        Server = server;
        _time = time;
    }

    /// <summary>Full path of the cache file.</summary>
    public string FilePath { get; }

    /// <summary>Environment this cache belongs to.</summary>
    public string Environment { get; }

    /// <summary>Server address recorded in the file.</summary>
    public string Server { get; }

    /// <summary>
    /// The cache file's path for a server and environment inside <paramref name="directory"/>:
    /// <c>flagkit-{environment}-{first 8 hex of SHA-256(server)}.cache</c>, so that two services sharing a
    /// directory but talking to different servers or environments never read each other's cache.
    /// </summary>
    /// <param name="directory">The cache directory.</param>
    /// <param name="environment">Environment name.</param>
    /// <param name="server">Server address.</param>
    /// <returns>The full file path.</returns>
    public static string PathFor(string directory, string environment, string server)
    {
        var safeEnvironment = new StringBuilder(environment.Length);
        foreach (char c in environment)
        {
            safeEnvironment.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }

        string serverHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(server)))[..8];
        return Path.Combine(directory, $"flagkit-{safeEnvironment}-{serverHash}.cache");
    }

    /// <summary>Writes <paramref name="file"/> at <paramref name="revision"/> atomically (temp file + rename).</summary>
    /// <param name="file">The snapshot's documents.</param>
    /// <param name="revision">The revision they are complete at.</param>
    /// <param name="contentHash">The snapshot's content hash (informative).</param>
    /// <param name="modes">The environment's operating modes as the server sent them; none when <see langword="null"/>.</param>
    /// <exception cref="IOException">The directory cannot be created or written; the previous cache file is intact.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write; the previous cache file is intact.</exception>
    public void Write(FlagFile file, long revision, string contentHash, ModeState? modes = null)
    {
        byte[] payload = FlagJson.SerializeFile(file);
        var header = new DiskSnapshotCacheHeader
        {
            Format = DiskSnapshotCacheHeader.FormatName,
            FormatVersion = DiskSnapshotCacheHeader.CurrentFormatVersion,
            Schema = file.Schema,
            Revision = revision,
            ContentHash = contentHash,
            Environment = Environment,
            Server = Server,
            WrittenAt = _time.GetUtcNow(),
            PayloadLength = payload.Length,
            PayloadSha256 = Convert.ToHexStringLower(SHA256.HashData(payload)),
            Modes = modes is null ? null : CachedModes(modes),
        };
        byte[] headerBytes = JsonSerializer.SerializeToUtf8Bytes(header, DiskSnapshotCacheJsonContext.Default.DiskSnapshotCacheHeader);

        string directory = Path.GetDirectoryName(FilePath)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(FilePath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                stream.Write(headerBytes);
                stream.WriteByte((byte)'\n');
                stream.Write(payload);
                // Durable before the rename: otherwise a power cut could leave the new name on empty blocks.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Reads and checks the cache file.</summary>
    /// <returns>
    /// The cached documents and revision, or a result whose <see cref="DiskSnapshotCacheLoad.Problem"/> says why
    /// the file is missing or unusable (naming the file). Never throws.
    /// </returns>
    public DiskSnapshotCacheLoad Load()
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(FilePath))
            {
                return DiskSnapshotCacheLoad.Missing($"no disk cache at '{FilePath}'");
            }

            bytes = File.ReadAllBytes(FilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DiskSnapshotCacheLoad.Unusable($"disk cache '{FilePath}' cannot be read: {e.Message}");
        }

        return Parse(bytes);
    }

    private DiskSnapshotCacheLoad Parse(byte[] bytes)
    {
        int newline = Array.IndexOf(bytes, (byte)'\n');
        if (newline < 0)
        {
            return Bad("it has no header line (truncated or not a FlagKit cache)");
        }

        DiskSnapshotCacheHeader? header;
        try
        {
            header = JsonSerializer.Deserialize(bytes.AsSpan(0, newline), DiskSnapshotCacheJsonContext.Default.DiskSnapshotCacheHeader);
        }
        catch (JsonException e)
        {
            return Bad($"its header is not valid JSON ({e.Message})");
        }

        if (header is null || header.Format != DiskSnapshotCacheHeader.FormatName)
        {
            return Bad($"its header does not name the format '{DiskSnapshotCacheHeader.FormatName}'");
        }

        if (header.FormatVersion != DiskSnapshotCacheHeader.CurrentFormatVersion)
        {
            return Bad($"it has format version {header.FormatVersion}; this SDK reads version {DiskSnapshotCacheHeader.CurrentFormatVersion}");
        }

        if (header.Schema != FlagFile.CurrentSchema)
        {
            return Bad($"it holds flag schema {header.Schema}; this SDK reads schema {FlagFile.CurrentSchema}");
        }

        if (!string.Equals(header.Environment, Environment, StringComparison.Ordinal))
        {
            return Bad($"it belongs to environment '{header.Environment}', not '{Environment}'");
        }

        ReadOnlySpan<byte> payload = bytes.AsSpan(newline + 1);
        if (payload.Length != header.PayloadLength)
        {
            return Bad($"its payload is {payload.Length} bytes, the header says {header.PayloadLength} (truncated or appended to)");
        }

        string hash = Convert.ToHexStringLower(SHA256.HashData(payload));
        if (!string.Equals(hash, header.PayloadSha256, StringComparison.OrdinalIgnoreCase))
        {
            return Bad("its payload does not match the SHA-256 in its header (corrupt)");
        }

        FlagFile file;
        try
        {
            file = FlagJson.ParseFile(payload, FilePath);
        }
        catch (Exception e) when (e is FlagValidationException or JsonException)
        {
            return Bad($"its payload is not a valid flags file ({e.Message})");
        }

        var (modes, modesProblem) = ParseModes(header.Modes);
        return DiskSnapshotCacheLoad.Loaded(file, header, modes, modesProblem);

        DiskSnapshotCacheLoad Bad(string why) => DiskSnapshotCacheLoad.Unusable($"disk cache '{FilePath}' ignored: {why}");
    }

    private static DiskSnapshotCacheModes CachedModes(ModeState modes)
    {
        string json = modes.Json.ToStringUtf8();
        return new DiskSnapshotCacheModes { Version = modes.Version, Json = json, Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json))) };
    }

    /// <summary>The cached modes when whole; else why not (the flags load either way).</summary>
    private (ModeState? Modes, string? Problem) ParseModes(DiskSnapshotCacheModes? cached)
    {
        if (cached is null)
        {
            return (null, null);
        }

        byte[] json = Encoding.UTF8.GetBytes(cached.Json);
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(json)), cached.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"disk cache '{FilePath}': its operating modes (version {cached.Version}) do not match the SHA-256 in its header (corrupt); its flags are served without them");
        }

        return (new ModeState { Version = cached.Version, Json = ByteString.CopyFrom(json) }, null);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The temp file has a unique name and is never read; leaving it behind is harmless.
        }
    }
}

/// <summary>The outcome of <see cref="DiskSnapshotCache.Load"/>.</summary>
/// <param name="File">The cached documents, when usable.</param>
/// <param name="Header">The header, when usable.</param>
/// <param name="Problem">Why there is nothing to serve (null when usable).</param>
/// <param name="IsCorrupt">True when a file exists but cannot be used (as opposed to no file at all).</param>
/// <param name="Modes">The cached operating modes, when the file has whole ones.</param>
/// <param name="ModesProblem">Why the file's modes are not used although its flags are (null: none, or usable).</param>
internal sealed record DiskSnapshotCacheLoad(FlagFile? File, DiskSnapshotCacheHeader? Header, string? Problem, bool IsCorrupt, ModeState? Modes = null, string? ModesProblem = null)
{
    /// <summary>True when <see cref="File"/> and <see cref="Header"/> can be served.</summary>
    public bool IsUsable => File is not null && Header is not null;

    internal static DiskSnapshotCacheLoad Loaded(FlagFile file, DiskSnapshotCacheHeader header, ModeState? modes = null, string? modesProblem = null) =>
        new(file, header, null, false, modes, modesProblem);

    internal static DiskSnapshotCacheLoad Missing(string problem) => new(null, null, problem, false);

    internal static DiskSnapshotCacheLoad Unusable(string problem) => new(null, null, problem, true);
}
