using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using Google.Protobuf;

namespace FlagKit.Server.Writes;

/// <summary>A stored document with its parsed form (treat the parsed form as read-only: it is shared).</summary>
internal sealed class DocumentEntry
{
    private StrongBox<ContentDigest>? _digest;

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

    /// <summary>The document's share of the content hash (computed once; the parsed form as the SDK's snapshot hashes it).</summary>
    public ContentDigest Digest => (_digest ??= new StrongBox<ContentDigest>(Flag is { } flag ? ContentDigest.OfFlag(flag) : ContentDigest.OfSegment(Segment!))).Value;
}

/// <summary>
/// An environment's committed state, immutable: every write produces a new one. Reads (list, get, export) are
/// answered from it without touching the store.
/// </summary>
internal sealed class EnvironmentState
{
    private readonly int? _knownLiveFlagCount;
    private int? _liveFlagCount;
    private StrongBox<ContentDigest>? _digest;

    /// <summary>Creates a state.</summary>
    /// <param name="record">The environment row (name, revision).</param>
    /// <param name="contentHash">Hex SHA-256 of the compiled content at this revision.</param>
    /// <param name="flags">Flags by key, archived ones included (kept as they are when immutable, else copied once).</param>
    /// <param name="segments">Segments by key, archived ones included.</param>
    /// <param name="snapshot">The compiled live documents (null when they no longer compile).</param>
    /// <param name="liveFlagCount">How many flags are live, when the caller knows (else counted on first use).</param>
    /// <param name="digest">The live documents' content digest, when the caller knows (else summed now when a snapshot is given, on first use otherwise).</param>
    public EnvironmentState(
        EnvironmentRecord record, string contentHash, IReadOnlyDictionary<string, DocumentEntry> flags, IReadOnlyDictionary<string, DocumentEntry> segments,
        FlagSnapshot? snapshot = null, int? liveFlagCount = null, ContentDigest? digest = null)
    {
        Snapshot = snapshot;
        Record = record;
        ContentHash = contentHash;
        FlagMap = Immutable(flags);
        SegmentMap = Immutable(segments);
        _knownLiveFlagCount = liveFlagCount;
        // A loaded state sums its digest here, once, not in its first write: that may be a kill, under the commit gate.
        _digest = digest is { } known ? new StrongBox<ContentDigest>(known) : snapshot is null ? null : new StrongBox<ContentDigest>(SumLive());
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
    public IReadOnlyDictionary<string, DocumentEntry> Flags => FlagMap;

    /// <summary>Segments by key (archived included).</summary>
    public IReadOnlyDictionary<string, DocumentEntry> Segments => SegmentMap;

    /// <summary>Flags by key, as the next state's starting point (a write changes a few entries; the rest is shared).</summary>
    public ImmutableDictionary<string, DocumentEntry> FlagMap { get; }

    /// <summary>Segments by key, as the next state's starting point.</summary>
    public ImmutableDictionary<string, DocumentEntry> SegmentMap { get; }

    /// <summary>The compiled live documents at this revision (null when they no longer compile); a write compiles only what it changes against it.</summary>
    public FlagSnapshot? Snapshot { get; }

    /// <summary>How many flags are live (carried from write to write; counted once for a loaded state).</summary>
    public int LiveFlagCount => _knownLiveFlagCount ?? (_liveFlagCount ??= Flags.Values.Count(e => e.IsLive));

    /// <summary>The live documents' content digest (carried from write to write; summed once when a state is loaded).</summary>
    public ContentDigest Digest => (_digest ??= new StrongBox<ContentDigest>(SumLive())).Value;

    /// <summary>Live flags, by key.</summary>
    public IEnumerable<DocumentEntry> LiveFlags => Flags.Values.Where(e => e.IsLive).OrderBy(e => e.Stored.Key, StringComparer.Ordinal);

    /// <summary>Live segments, by key.</summary>
    public IEnumerable<DocumentEntry> LiveSegments => Segments.Values.Where(e => e.IsLive).OrderBy(e => e.Stored.Key, StringComparer.Ordinal);

    /// <summary>The entry of a document (archived or not).</summary>
    /// <param name="kind">Flag or segment.</param>
    /// <param name="key">The key.</param>
    /// <returns>The entry, or null.</returns>
    public DocumentEntry? Find(DocumentKind kind, string key) =>
        (kind == DocumentKind.Segment ? SegmentMap : FlagMap).TryGetValue(key, out var e) ? e : null;

    /// <summary>The live documents as a flags file (what SDKs see).</summary>
    /// <returns>A new file whose documents are the shared parsed objects.</returns>
    public FlagFile ToFile() => new()
    {
        Schema = FlagFile.CurrentSchema,
        Flags = LiveFlags.Select(e => e.Flag!).ToList(),
        Segments = LiveSegments.Select(e => e.Segment!).ToList(),
    };

    private ContentDigest SumLive() =>
        FlagMap.Values.Concat(SegmentMap.Values).Where(e => e.IsLive).Aggregate(ContentDigest.Empty, (sum, e) => sum + e.Digest);

    private static ImmutableDictionary<string, DocumentEntry> Immutable(IReadOnlyDictionary<string, DocumentEntry> entries) =>
        entries as ImmutableDictionary<string, DocumentEntry> is { KeyComparer: var comparer } map && ReferenceEquals(comparer, StringComparer.Ordinal)
            ? map
            : entries.ToImmutableDictionary(StringComparer.Ordinal);
}
