using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using Google.Protobuf;

namespace FlagKit.Server.Writes;

/// <summary>A stored document with its parsed form (treat the parsed form as read-only: it is shared).</summary>
internal sealed class DocumentEntry
{
    /// <summary>Wraps a stored document, parsing its JSON.</summary>
    /// <param name="stored">The stored document.</param>
    public DocumentEntry(StoredDocument stored)
    {
        Stored = stored;
        if (stored.Kind == DocumentKind.Flag)
        {
            Flag = DocumentCodec.ParseFlag(stored.Json);
        }
        else
        {
            Segment = DocumentCodec.ParseSegment(stored.Json);
        }

        Wire = new Document { Kind = stored.Kind, Key = stored.Key, Json = UnsafeByteOperations.UnsafeWrap(stored.Json) };
    }

    /// <summary>The stored row.</summary>
    public StoredDocument Stored { get; }

    /// <summary>The parsed flag (flags only). Shared: never mutate it; clone to edit.</summary>
    public FlagDocument? Flag { get; }

    /// <summary>The parsed segment (segments only). Shared: never mutate it.</summary>
    public SegmentDocument? Segment { get; }

    /// <summary>The document as the sync stream sends it (wraps the stored bytes, no copy).</summary>
    public Document Wire { get; }

    /// <summary>Archived documents are kept for history and rollback but not served.</summary>
    public bool IsLive => !Stored.Archived;
}

/// <summary>
/// An environment's committed state, immutable: every write produces a new one. Reads (list, get, export) are
/// answered from it without touching the store.
/// </summary>
internal sealed class EnvironmentState
{
    private int? _liveFlagCount;

    /// <summary>Creates a state.</summary>
    /// <param name="record">The environment row (name, revision).</param>
    /// <param name="contentHash">Hex SHA-256 of the compiled content at this revision.</param>
    /// <param name="flags">Flags by key, archived ones included.</param>
    /// <param name="segments">Segments by key, archived ones included.</param>
    /// <param name="snapshot">The compiled live documents (null when they no longer compile).</param>
    public EnvironmentState(
        EnvironmentRecord record, string contentHash, IReadOnlyDictionary<string, DocumentEntry> flags, IReadOnlyDictionary<string, DocumentEntry> segments,
        FlagSnapshot? snapshot = null)
    {
        Snapshot = snapshot;
        Record = record;
        ContentHash = contentHash;
        Flags = flags;
        Segments = segments;
    }

    /// <summary>The environment row.</summary>
    public EnvironmentRecord Record { get; }

    /// <summary>The environment name.</summary>
    public string Name => Record.Name;

    /// <summary>The committed revision.</summary>
    public long Revision => Record.Revision;

    /// <summary>Hex SHA-256 of the compiled content.</summary>
    public string ContentHash { get; }

    /// <summary>Flags by key (archived included).</summary>
    public IReadOnlyDictionary<string, DocumentEntry> Flags { get; }

    /// <summary>Segments by key (archived included).</summary>
    public IReadOnlyDictionary<string, DocumentEntry> Segments { get; }

    /// <summary>The compiled live documents at this revision (null when they no longer compile); a state change compiles only its flags against it.</summary>
    public FlagSnapshot? Snapshot { get; }

    /// <summary>How many flags are live (counted once per state).</summary>
    public int LiveFlagCount => _liveFlagCount ??= Flags.Values.Count(e => e.IsLive);

    /// <summary>Live flags, by key.</summary>
    public IEnumerable<DocumentEntry> LiveFlags => Flags.Values.Where(e => e.IsLive).OrderBy(e => e.Stored.Key, StringComparer.Ordinal);

    /// <summary>Live segments, by key.</summary>
    public IEnumerable<DocumentEntry> LiveSegments => Segments.Values.Where(e => e.IsLive).OrderBy(e => e.Stored.Key, StringComparer.Ordinal);

    /// <summary>The entry of a document (archived or not).</summary>
    /// <param name="kind">Flag or segment.</param>
    /// <param name="key">The key.</param>
    /// <returns>The entry, or null.</returns>
    public DocumentEntry? Find(DocumentKind kind, string key) =>
        (kind == DocumentKind.Segment ? Segments : Flags).TryGetValue(key, out var e) ? e : null;

    /// <summary>The live documents as a flags file (what SDKs see).</summary>
    /// <returns>A new file whose documents are the shared parsed objects.</returns>
    public FlagFile ToFile() => new()
    {
        Schema = FlagFile.CurrentSchema,
        Flags = LiveFlags.Select(e => e.Flag!).ToList(),
        Segments = LiveSegments.Select(e => e.Segment!).ToList(),
    };
}
