using System.Collections.Concurrent;
using FlagKit.Versioning;

namespace FlagKit.Tests.Versioning;

public sealed class MigrationTests
{
    // stage, sides read, side served, compared?, sides written in order
    private static readonly (MigrationStage Stage, string Reads, string Served, bool Compared, string Writes)[] Stages =
    [
        (MigrationStage.Off, "old", "old", false, "old"),
        (MigrationStage.DualWrite, "old", "old", false, "old,new"),
        (MigrationStage.Shadow, "old,new", "old", true, "old,new"),
        (MigrationStage.Live, "old,new", "new", true, "new,old"),
        (MigrationStage.Rampdown, "new", "new", false, "new,old"),
        (MigrationStage.Complete, "new", "new", false, "new"),
    ];

    public static IEnumerable<TestCaseData> StageCases() =>
        Stages.Select(s => new TestCaseData(s.Stage, s.Reads, s.Served, s.Compared, s.Writes).SetArgDisplayNames(MigrationStages.Format(s.Stage)));

    [TestCaseSource(nameof(StageCases))]
    public async Task ReadAsync_EachStage_ReadsServesAndComparesAsDocumented(MigrationStage stage, string reads, string served, bool compared, string writes)
    {
        await using var flags = new TestFlags().Set("migration.ledger", MigrationStages.Format(stage));
        var paths = new Paths();
        var comparisons = 0;
        var migration = new Migration("ledger", flags.Client, "migration.ledger");

        var result = await migration.ReadAsync(paths.ReadOld, paths.ReadNew, new CountingComparer(() => comparisons++));

        Assert.Multiple(() =>
        {
            Assert.That(migration.GetStage(), Is.EqualTo(stage));
            Assert.That(string.Join(",", paths.Calls.OrderBy(c => c)), Is.EqualTo(string.Join(",", reads.Split(',').Select(s => "read-" + s).OrderBy(c => c))));
            Assert.That(result, Is.EqualTo(served));
            Assert.That(comparisons, Is.EqualTo(compared ? 1 : 0));
        });
    }

    [TestCaseSource(nameof(StageCases))]
    public async Task WriteAsync_EachStage_WritesAuthoritativeSideFirst(MigrationStage stage, string reads, string served, bool compared, string writes)
    {
        await using var flags = new TestFlags().Set("migration.ledger", MigrationStages.Format(stage));
        var paths = new Paths();
        var migration = new Migration("ledger", flags.Client, "migration.ledger");

        var result = await migration.WriteAsync(paths.WriteOld, paths.WriteNew);

        Assert.That(string.Join(",", paths.Calls), Is.EqualTo(string.Join(",", writes.Split(',').Select(s => "write-" + s))));
        Assert.That(result, Is.EqualTo(writes.Split(',')[0]), "the authoritative side's result");
    }

    [TestCase(MigrationStage.DualWrite)]
    [TestCase(MigrationStage.Live)]
    public async Task WriteAsync_AuthoritativeSideFails_ThrowsAndDoesNotWriteTheOther(MigrationStage stage)
    {
        await using var flags = new TestFlags().Set("migration.ledger", MigrationStages.Format(stage));
        var authoritative = stage == MigrationStage.Live ? "new" : "old";
        var paths = new Paths { Failing = "write-" + authoritative };
        var migration = new Migration("ledger", flags.Client, "migration.ledger");

        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => migration.WriteAsync(paths.WriteOld, paths.WriteNew));

        Assert.That(ex!.Message, Is.EqualTo($"write-{authoritative} failed"));
        Assert.That(paths.Calls, Is.EqualTo(new[] { "write-" + authoritative }));
    }

    [TestCase(MigrationStage.DualWrite, "new")]
    [TestCase(MigrationStage.Shadow, "new")]
    [TestCase(MigrationStage.Live, "old")]
    [TestCase(MigrationStage.Rampdown, "old")]
    public async Task WriteAsync_OtherSideFails_CallerGetsAuthoritativeResultAndErrorIsCounted(MigrationStage stage, string other)
    {
        await using var flags = new TestFlags().Set("migration.ledger", MigrationStages.Format(stage));
        var paths = new Paths { Failing = "write-" + other };
        var migration = new Migration("ledger-w-" + MigrationStages.Format(stage), flags.Client, "migration.ledger");
        using var errors = new MetricsRecorder("FlagKit.Versioning", "flagkit.migration.errors", t => t["flagkit.migration"] == migration.Name);

        var result = await migration.WriteAsync(paths.WriteOld, paths.WriteNew);

        Assert.That(result, Is.Not.EqualTo(other));
        Assert.That(errors.Sum(t => t["flagkit.migration.side"] == other && t["flagkit.migration.op"] == "write"), Is.EqualTo(1));
    }

    [TestCase(MigrationStage.Shadow, "new")]
    [TestCase(MigrationStage.Live, "old")]
    public async Task ReadAsync_SideNotServedFails_NeverReachesTheCaller(MigrationStage stage, string notServed)
    {
        await using var flags = new TestFlags().Set("migration.ledger", MigrationStages.Format(stage));
        var paths = new Paths { Failing = "read-" + notServed };
        var comparisons = 0;
        var migration = new Migration("ledger-r-" + MigrationStages.Format(stage), flags.Client, "migration.ledger");
        using var errors = new MetricsRecorder("FlagKit.Versioning", "flagkit.migration.errors", t => t["flagkit.migration"] == migration.Name);

        var result = await migration.ReadAsync(paths.ReadOld, paths.ReadNew, new CountingComparer(() => comparisons++));

        Assert.That(result, Is.Not.EqualTo(notServed));
        Assert.That(comparisons, Is.Zero, "nothing to compare with a failed side");
        Assert.That(errors.Sum(t => t["flagkit.migration.side"] == notServed && t["flagkit.migration.op"] == "read"), Is.EqualTo(1));
    }

    [TestCase(MigrationStage.Shadow, "old")]
    [TestCase(MigrationStage.Live, "new")]
    public async Task ReadAsync_ServedSideFails_Throws(MigrationStage stage, string servedSide)
    {
        await using var flags = new TestFlags().Set("migration.ledger", MigrationStages.Format(stage));
        var paths = new Paths { Failing = "read-" + servedSide };
        var migration = new Migration("ledger", flags.Client, "migration.ledger");

        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => migration.ReadAsync(paths.ReadOld, paths.ReadNew));

        Assert.That(ex!.Message, Is.EqualTo($"read-{servedSide} failed"));
    }

    [Test]
    public async Task ReadAsync_Mismatch_ReportedAndCounted()
    {
        await using var flags = new TestFlags().Set("migration.ledger", "shadow");
        var mismatches = new ConcurrentQueue<MigrationMismatch>();
        var migration = new Migration("ledger-mismatch", flags.Client, "migration.ledger", new MigrationOptions { OnMismatch = mismatches.Enqueue });
        using var comparisons = new MetricsRecorder("FlagKit.Versioning", "flagkit.migration.comparisons", t => t["flagkit.migration"] == "ledger-mismatch");
        using var durations = new MetricsRecorder("FlagKit.Versioning", "flagkit.migration.duration", t => t["flagkit.migration"] == "ledger-mismatch");

        await migration.ReadAsync(_ => Task.FromResult(100), _ => Task.FromResult(100));
        await migration.ReadAsync(_ => Task.FromResult(100), _ => Task.FromResult(99));

        Assert.Multiple(() =>
        {
            var mismatch = mismatches.Single();
            Assert.That((mismatch.Migration, mismatch.Stage, mismatch.Old, mismatch.New), Is.EqualTo(("ledger-mismatch", MigrationStage.Shadow, (object)100, (object)99)));
            Assert.That(comparisons.Sum(t => t["flagkit.migration.outcome"] == "match"), Is.EqualTo(1));
            Assert.That(comparisons.Sum(t => t["flagkit.migration.outcome"] == "mismatch"), Is.EqualTo(1));
            Assert.That(durations.Measurements.Count(m => m.Tags["flagkit.migration.side"] == "old"), Is.EqualTo(2));
            Assert.That(durations.Measurements.Count(m => m.Tags["flagkit.migration.side"] == "new"), Is.EqualTo(2));
        });
    }

    [TestCase(0.0, 0)]
    [TestCase(1.0, 20)]
    public async Task ReadAsync_SampleRatio_ComparesThatShare(double ratio, int expected)
    {
        await using var flags = new TestFlags().Set("migration.ledger", "live");
        var comparisons = 0;
        var migration = new Migration("ledger", flags.Client, "migration.ledger", new MigrationOptions { CompareSampleRatio = ratio });

        for (var i = 0; i < 20; i++)
        {
            await migration.ReadAsync(_ => Task.FromResult(1), _ => Task.FromResult(1), new CountingComparer<int>(() => comparisons++));
        }

        Assert.That(comparisons, Is.EqualTo(expected));
    }

    [Test]
    public async Task ReadAsync_HalfSampled_ComparesAboutHalfWithSeededRandom()
    {
        await using var flags = new TestFlags().Set("migration.ledger", "shadow");
        var comparisons = 0;
        var migration = new Migration("ledger", flags.Client, "migration.ledger", new MigrationOptions { CompareSampleRatio = 0.5, Random = new Random(7) });

        for (var i = 0; i < 200; i++)
        {
            await migration.ReadAsync(_ => Task.FromResult(1), _ => Task.FromResult(1), new CountingComparer<int>(() => comparisons++));
        }

        Assert.That(comparisons, Is.InRange(70, 130));
    }

    [Test]
    public async Task GetStage_TargetedFlag_StagePerContext()
    {
        await using var flags = new TestFlags().Set(new FlagKit.Documents.FlagDocument
        {
            Key = "migration.ledger",
            Kind = FlagKit.Documents.FlagKind.String,
            On = true,
            Variants = new Dictionary<string, System.Text.Json.JsonElement>
            {
                ["off"] = System.Text.Json.JsonSerializer.SerializeToElement("off"),
                ["shadow"] = System.Text.Json.JsonSerializer.SerializeToElement("shadow"),
            },
            OffVariant = "off",
            Rules =
            [
                new FlagKit.Documents.RuleDocument
                {
                    Conditions = [new FlagKit.Documents.ConditionDocument { Attribute = "region", Op = "in", Values = [System.Text.Json.JsonSerializer.SerializeToElement("eu")] }],
                    Variant = "shadow",
                },
            ],
            DefaultRule = new FlagKit.Documents.ServeDocument { Variant = "off" },
        });
        var migration = new Migration("ledger", flags.Client, "migration.ledger");

        Assert.That(migration.GetStage(new EvaluationContext { Region = "eu" }), Is.EqualTo(MigrationStage.Shadow));
        Assert.That(migration.GetStage(new EvaluationContext { Region = "us" }), Is.EqualTo(MigrationStage.Off));

        flags.Kill("migration.ledger");
        Assert.That(migration.GetStage(new EvaluationContext { Region = "eu" }), Is.EqualTo(MigrationStage.Off));
    }

    [TestCase(null)]
    [TestCase("shadowing")]
    public async Task GetStage_FlagMissingOrNotAStage_UsesFallback(string? value)
    {
        await using var flags = new TestFlags();
        if (value is not null)
        {
            flags.Set("migration.ledger", value);
        }

        var migration = new Migration("ledger", flags.Client, "migration.ledger", new MigrationOptions { FallbackStage = MigrationStage.DualWrite });

        Assert.That(migration.GetStage(), Is.EqualTo(MigrationStage.DualWrite));
    }

    [Test]
    public void MigrationStages_FormatAndParse_RoundTrip()
    {
        foreach (var stage in Enum.GetValues<MigrationStage>())
        {
            Assert.That(MigrationStages.TryParse(MigrationStages.Format(stage), out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(stage));
        }

        Assert.That(MigrationStages.Format(MigrationStage.DualWrite), Is.EqualTo("dual-write"));
        Assert.That(MigrationStages.TryParse("Shadow", out _), Is.False);
    }

    [Test]
    public async Task Constructor_BadSampleRatio_Throws()
    {
        await using var flags = new TestFlags();

        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Migration("m", flags.Client, "f", new MigrationOptions { CompareSampleRatio = 1.5 }));
    }

    /// <summary>The old and new paths of a store being migrated: they record calls and can be made to fail.</summary>
    private sealed class Paths
    {
        private readonly ConcurrentQueue<string> _calls = new();

        public string? Failing { get; init; }

        public IReadOnlyList<string> Calls => [.. _calls];

        public Task<string> ReadOld(CancellationToken ct) => Call("read-old", "old");

        public Task<string> ReadNew(CancellationToken ct) => Call("read-new", "new");

        public Task<string> WriteOld(CancellationToken ct) => Call("write-old", "old");

        public Task<string> WriteNew(CancellationToken ct) => Call("write-new", "new");

        private async Task<string> Call(string name, string result)
        {
            await Task.Yield();
            _calls.Enqueue(name);
            return name == Failing ? throw new InvalidOperationException($"{name} failed") : result;
        }
    }

    private sealed class CountingComparer(Action onCompare) : CountingComparer<string>(onCompare);

    private class CountingComparer<T>(Action onCompare) : IEqualityComparer<T>
    {
        public bool Equals(T? x, T? y)
        {
            onCompare();
            return EqualityComparer<T>.Default.Equals(x, y);
        }

        public int GetHashCode(T obj) => 0;
    }
}
