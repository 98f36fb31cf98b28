using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Protocol.V1;

namespace FlagKit.Sources;

/// <summary>
/// Compiles a complete sync batch (a full snapshot, or the changes since a revision) into the next snapshot with the
/// SDK's own compiler. Lenient: a document that does not parse or compile keeps its last good version and is added
/// to the failures the source reports in its Ack.
/// </summary>
internal static class GrpcSyncBatchCompiler
{
    /// <summary>A full snapshot's documents; a document that fails keeps <paramref name="previous"/>'s version of it.</summary>
    public static FlagSnapshot FromSnapshot(IReadOnlyList<Document> documents, long revision, FlagSnapshot previous, List<Compilation.DocumentFailure> failures)
    {
        var file = new FlagFile { Schema = FlagFile.CurrentSchema };
        FlagFile? previousFile = null;
        foreach (Document document in documents)
        {
            switch (document.Kind)
            {
                case DocumentKind.Flag:
                    if (TryParse(document, failures, out FlagDocument? flag))
                    {
                        file.Flags.Add(flag);
                    }
                    else if ((previousFile ??= previous.ToFile()).Flags.Find(f => f.Key == document.Key) is { } lastGood)
                    {
                        file.Flags.Add(lastGood);
                    }

                    break;
                case DocumentKind.Segment:
                    if (TryParse(document, failures, out SegmentDocument? segment))
                    {
                        file.Segments.Add(segment);
                    }
                    else if ((previousFile ??= previous.ToFile()).Segments.Find(s => s.Key == document.Key) is { } lastGood)
                    {
                        file.Segments.Add(lastGood);
                    }

                    break;
                default:
                    failures.Add(new Compilation.DocumentFailure(false, document.Key, $"unknown document kind {(int)document.Kind}"));
                    break;
            }
        }

        return SnapshotBuilder.BuildLenient(file, revision, previous, failures);
    }

    /// <summary>The changes since <paramref name="previous"/>'s revision (null document: removed).</summary>
    public static FlagSnapshot FromDelta(IReadOnlyDictionary<(DocumentKind Kind, string Key), Document?> changes, long revision, FlagSnapshot previous, List<Compilation.DocumentFailure> failures)
    {
        var upsertFlags = new List<FlagDocument>();
        var upsertSegments = new List<SegmentDocument>();
        var removedFlags = new List<string>();
        var removedSegments = new List<string>();
        foreach (((DocumentKind kind, string key), Document? document) in changes)
        {
            switch (kind)
            {
                case DocumentKind.Flag when document is null:
                    removedFlags.Add(key);
                    break;
                case DocumentKind.Flag:
                    // A document that does not parse is left out: the flag keeps its last good version.
                    if (TryParse(document, failures, out FlagDocument? flag))
                    {
                        upsertFlags.Add(flag);
                    }

                    break;
                case DocumentKind.Segment when document is null:
                    removedSegments.Add(key);
                    break;
                case DocumentKind.Segment:
                    if (TryParse(document, failures, out SegmentDocument? segment))
                    {
                        upsertSegments.Add(segment);
                    }

                    break;
                default:
                    failures.Add(new Compilation.DocumentFailure(false, key, $"unknown document kind {(int)kind}"));
                    break;
            }
        }

        return SnapshotBuilder.ApplyDelta(previous, revision, upsertFlags, upsertSegments, removedFlags, removedSegments, failures);
    }

    private static bool TryParse(Document document, List<Compilation.DocumentFailure> failures, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FlagDocument? flag)
    {
        try
        {
            flag = FlagJson.ParseFlag(document.Json.Span);
            if (flag.Key != document.Key)
            {
                failures.Add(new Compilation.DocumentFailure(false, document.Key, $"the document's key is '{flag.Key}', the stream says '{document.Key}'"));
                flag = null;
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is FlagValidationException or JsonException)
        {
            failures.Add(new Compilation.DocumentFailure(false, document.Key, e.Message));
            flag = null;
            return false;
        }
    }

    private static bool TryParse(Document document, List<Compilation.DocumentFailure> failures, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SegmentDocument? segment)
    {
        try
        {
            segment = FlagJson.ParseSegment(document.Json.Span);
            if (segment.Key != document.Key)
            {
                failures.Add(new Compilation.DocumentFailure(true, document.Key, $"the document's key is '{segment.Key}', the stream says '{document.Key}'"));
                segment = null;
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is FlagValidationException or JsonException)
        {
            failures.Add(new Compilation.DocumentFailure(true, document.Key, e.Message));
            segment = null;
            return false;
        }
    }
}
