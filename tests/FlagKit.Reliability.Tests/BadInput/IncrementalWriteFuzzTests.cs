using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;
using FsCheck;
using FsCheck.Fluent;

namespace FlagKit.Reliability.Tests.BadInput;

/// <summary>
/// Property: the server's incremental write (compile what the write changes and what depends on it, against the last
/// snapshot) decides exactly as a strict build of the whole environment does, over random sequences of edits to a
/// few flags and segments that name each other: prerequisites (missing flags, renamed variants, cycles), segments
/// (missing, cycles), type mismatches, archives of documents still in use. A refused write gives the full build's
/// message, word for word; an accepted one gives the full build's content hash and the same evaluation of every flag.
/// </summary>
/// <remarks>Cases: <c>FLAGKIT_FUZZ_CASES</c>, else 1 000 sequences of up to ~30 writes each (a few seconds).</remarks>
[TestFixture]
public sealed class IncrementalWriteFuzzTests
{
    private static readonly EvaluationContext[] Contexts =
    [
        EvaluationContext.Empty,
        new() { AccountId = "u1", Region = "fr" },
        new() { AccountId = "u3" },
        new() { AccountId = "u6", Region = "us" },
    ];

    private string _directory = null!;
    private FlagDatabase _db = null!;
    private WritePreparation _preparation = null!;
    private int _accepted;
    private int _refused;

    private static int CasesPerProperty =>
        int.TryParse(Environment.GetEnvironmentVariable("FLAGKIT_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 1000;

    [OneTimeSetUp]
    public void OpenStore()
    {
        _directory = Path.Combine(Path.GetTempPath(), "flagkit-incremental-" + Guid.NewGuid().ToString("N"));
        _db = FlagDatabase.Open(Path.Combine(_directory, "flagkit.db"), TimeProvider.System.GetUtcNow());
        _preparation = new WritePreparation(_db, new FlagServerOptions(), TimeProvider.System);
    }

    [OneTimeTearDown]
    public void CloseStore()
    {
        _db.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task IncrementalWrite_RandomEditSequences_SameOutcomeAsAFullBuild()
    {
        // A write is one to three edits, each an int decoded by Edit(); a sequence is up to ~30 writes.
        var writes = Gen.ListOf(Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, int.MaxValue), n)));
        int cases = CasesPerProperty;
        int ran = 0;
        var config = Config.QuickThrowOnFailure.WithMaxTest(cases).WithEndSize(30).WithQuietOnSuccess(true);
        long start = Stopwatch.GetTimestamp();
        await Task.Run(() => Check.One(nameof(IncrementalWrite_RandomEditSequences_SameOutcomeAsAFullBuild), config, Prop.ForAll(Arb.From(writes), sequence =>
        {
            Interlocked.Increment(ref ran);
            RunSequence(sequence);
        }))).WaitAsync(TimeSpan.FromMinutes(5));
        TestContext.Out.WriteLine($"{ran} sequences, {_accepted} writes accepted, {_refused} refused, in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");

        Assert.That(ran, Is.GreaterThanOrEqualTo(cases));
        // Both outcomes must be exercised, or the property says little.
        Assert.That(_accepted, Is.GreaterThan(cases), "accepted writes");
        Assert.That(_refused, Is.GreaterThan(cases / 10), "refused writes");
    }

    private void RunSequence(IEnumerable<int[]> sequence)
    {
        var state = Empty();
        var step = 0;
        foreach (var codes in sequence)
        {
            step++;
            var edits = Edits(codes);
            var where = $"write {step}: {string.Join("; ", edits.Select(Describe))}";
            var expected = FullBuild(state, edits);
            try
            {
                var outcome = _preparation.Prepare(Command(), state, _ => edits, CancellationToken.None);
                Assert.That(expected.Error, Is.Null, $"{where}: accepted, but a full build refuses it");
                Interlocked.Increment(ref _accepted);
                if (outcome.Write is { } write)
                {
                    state = write.Next;
                    AssertSame(state, expected.Snapshot!, where);
                }
            }
            catch (WriteRefusedException e)
            {
                Assert.That(e.Message, Is.EqualTo(expected.Error), $"{where}: refused, the full build's message differs (or the full build accepts it)");
                Interlocked.Increment(ref _refused);
            }
        }
    }

    // The reference: the environment after the edits, built whole by the strict compiler, from fresh copies.
    private static (FlagSnapshot? Snapshot, string? Error) FullBuild(EnvironmentState state, List<DocumentEdit> edits)
    {
        var flags = state.LiveFlags.ToDictionary(e => e.Stored.Key, e => FlagJson.ParseFlag(e.Stored.Json), StringComparer.Ordinal);
        var segments = state.LiveSegments.ToDictionary(e => e.Stored.Key, e => FlagJson.ParseSegment(e.Stored.Json), StringComparer.Ordinal);
        foreach (var edit in edits)
        {
            if (edit.Kind == DocumentKind.Segment)
            {
                Overlay(segments, edit.Key, edit.Segment is null ? null : FlagJson.ParseSegment(FlagJson.SerializeSegment(edit.Segment)));
            }
            else
            {
                Overlay(flags, edit.Key, edit.Flag is null ? null : FlagJson.ParseFlag(FlagJson.SerializeFlag(edit.Flag)));
            }
        }

        var file = new FlagFile
        {
            Flags = [.. flags.Values.OrderBy(f => f.Key, StringComparer.Ordinal)],
            Segments = [.. segments.Values.OrderBy(s => s.Key, StringComparer.Ordinal)],
        };
        try
        {
            return (DocumentCodec.Compile(file, state.Revision + 1), null);
        }
        catch (WriteRefusedException e)
        {
            return (null, e.Message);
        }
    }

    private static void AssertSame(EnvironmentState state, FlagSnapshot expected, string where)
    {
        // The reference was built from the edits before the write numbered them: versions differ, so the content
        // hash is compared with a full build of the state's own documents.
        var full = SnapshotBuilder.Build(state.ToFile(), state.Revision);
        Assert.That(state.ContentHash, Is.EqualTo(full.ContentHash), $"{where}: the server's content hash");
        Assert.That(state.Snapshot!.ContentHash, Is.EqualTo(full.ContentHash), $"{where}: the incremental snapshot's content");
        Assert.That(state.Snapshot.FlagKeys.Order(StringComparer.Ordinal), Is.EqualTo(expected.FlagKeys.Order(StringComparer.Ordinal)), where);
        Assert.That(state.Snapshot.SegmentCount, Is.EqualTo(expected.SegmentCount), where);
        foreach (var key in expected.FlagKeys)
        {
            foreach (var context in Contexts)
            {
                var a = state.Snapshot.Evaluate(key, context);
                var b = expected.Evaluate(key, context);
                if (a.Variant?.Name != b.Variant?.Name || a.Reason != b.Reason || a.ErrorCode != b.ErrorCode)
                {
                    Assert.Fail($"{where}: flag {key} for '{context.AccountId}': incremental {a.Variant?.Name}/{a.Reason}, full build {b.Variant?.Name}/{b.Reason}");
                }
            }
        }
    }

    private static List<DocumentEdit> Edits(int[] codes)
    {
        var seen = new HashSet<(DocumentKind, string)>();
        var edits = new List<DocumentEdit>();
        foreach (var code in codes)
        {
            var edit = Edit(code);
            if (seen.Add((edit.Kind, edit.Key)))
            {
                edits.Add(edit);
            }
        }

        return edits;
    }

    // Five flags and four segments, so that documents name each other (and miss each other) often.
    private static DocumentEdit Edit(int code)
    {
        var key = code / 8 % 5;
        var r = code / 40;
        return (code % 8) switch
        {
            < 4 => DocumentEdit.Put(FlagJson.ParseFlag(Encoding.UTF8.GetBytes(FlagText(key, r)))),
            < 6 => DocumentEdit.Put(FlagJson.ParseSegment(Encoding.UTF8.GetBytes(SegmentText(key % 4, r)))),
            6 => DocumentEdit.Archive(DocumentKind.Flag, $"f{key}"),
            _ => DocumentEdit.Archive(DocumentKind.Segment, $"s{key % 4}"),
        };
    }

    private static string FlagText(int key, int r)
    {
        // Variant names change (on/off, yes/no) under the flags that require them; a string value in a bool flag is a type error.
        var (first, second, value) = (r % 3) switch
        {
            0 => ("on", "off", "false"),
            1 => ("yes", "no", "false"),
            _ => ("on", "off", "\"oops\""),
        };
        var prerequisites = (r / 3 % 4) switch
        {
            2 => $$""", "prerequisites": [ { "flag": "f{{r / 12 % 5}}", "variant": "on" } ]""",
            3 => $$""", "prerequisites": [ { "flag": "f{{r / 12 % 5}}", "variant": "yes" } ]""",
            _ => "",
        };
        var rules = (r / 60 % 3) == 1
            ? $$"""{ "conditions": [ { "op": "inSegment", "values": ["s{{r / 180 % 4}}"] } ], "variant": "{{first}}" }"""
            : "";
        var weight = r / 720 % 101;
        var serve = r / 720 % 2 == 0
            ? $$"""{ "variant": "{{first}}" }"""
            : $$"""{ "split": { "variants": [ { "variant": "{{first}}", "weight": {{weight}} }, { "variant": "{{second}}", "weight": {{100 - weight}} } ] } }""";
        return $$"""
            { "key": "f{{key}}", "kind": "bool", "on": {{(r / 72_000 % 4 == 0 ? "false" : "true")}},
              "variants": { "{{first}}": true, "{{second}}": {{value}} }, "offVariant": "{{second}}",
              "rules": [ {{rules}} ], "defaultRule": {{serve}}{{prerequisites}} }
            """;
    }

    private static string SegmentText(int key, int r)
    {
        // A segment names another (or itself: a cycle of one) a third of the time.
        var rules = r % 3 == 0 ? $$""", "rules": [ { "conditions": [ { "op": "inSegment", "values": ["s{{r / 3 % 4}}"] } ] } ]""" : "";
        return $$"""{ "key": "s{{key}}", "included": ["u{{r / 12 % 7}}"]{{rules}} }""";
    }

    private static string Describe(DocumentEdit edit) =>
        edit.IsArchive ? $"archive {edit.Key}" : edit.Flag is { } flag ? Encoding.UTF8.GetString(FlagJson.SerializeFlag(flag)) : Encoding.UTF8.GetString(FlagJson.SerializeSegment(edit.Segment!));

    private static void Overlay<T>(Dictionary<string, T> documents, string key, T? document)
        where T : class
    {
        if (document is null)
        {
            documents.Remove(key);
        }
        else
        {
            documents[key] = document;
        }
    }

    private static EnvironmentState Empty()
    {
        var snapshot = SnapshotBuilder.Build(new FlagFile(), 0);
        var none = new Dictionary<string, DocumentEntry>(StringComparer.Ordinal);
        return new EnvironmentState(new EnvironmentRecord(1, "fuzz", 0, TimeProvider.System.GetUtcNow()), snapshot.ContentHash, none, none, snapshot);
    }

    private static WriteCommand Command() =>
        new("fuzz", null, new CallerIdentity("fuzz", "fuzz", ApiKeyRole.Admin, null, "fuzz"), "PutDocument", "fuzz", new ListEnvironmentsRequest(), Operation: "fuzz");
}
