using FlagKit.Versioning;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Tests.Versioning;

/// <summary>The default pin store: one cache per version flag, keyed by the pin key (MemoryVersionPinStore.cs).</summary>
public sealed class MemoryVersionPinStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private FakeTimeProvider _time = null!;

    [SetUp]
    public void CreateClock() => _time = new FakeTimeProvider(Start);

    [Test]
    public async Task GetOrAdd_NewKey_StoresTheCandidateItself_AndLaterCandidatesGetIt()
    {
        using var store = new MemoryVersionPinStore(TimeSpan.FromHours(1), timeProvider: _time);
        var first = Pin("calc-engine", "round-1", "1.4.0");

        var stored = await store.GetOrAddAsync(first, CancellationToken.None);
        var second = await store.GetOrAddAsync(Pin("calc-engine", "round-1", "1.5.0"), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(stored, Is.SameAs(first));
            Assert.That(second, Is.SameAs(first), "the first pin stays");
            Assert.That(await store.GetAsync("calc-engine", "round-1", CancellationToken.None), Is.SameAs(first));
            Assert.That(store.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task SamePinKey_UnderTwoFlags_TwoIndependentPins()
    {
        using var store = new MemoryVersionPinStore(TimeSpan.FromHours(1), timeProvider: _time);
        var engine = await store.GetOrAddAsync(Pin("calc-engine", "round-1", "1.4.0"), CancellationToken.None);
        var rng = await store.GetOrAddAsync(Pin("rng", "round-1", "2.0.0"), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That((await store.GetAsync("calc-engine", "round-1", CancellationToken.None))!.Version, Is.EqualTo("1.4.0"));
            Assert.That((await store.GetAsync("rng", "round-1", CancellationToken.None))!.Version, Is.EqualTo("2.0.0"));
            Assert.That(await store.GetAsync("other-flag", "round-1", CancellationToken.None), Is.Null);
            Assert.That(store.Count, Is.EqualTo(2));
            Assert.That(engine, Is.Not.SameAs(rng));
        });
    }

    [Test]
    public async Task AbsoluteExpiry_PinGoneAfterItsTime_EvenIfRead()
    {
        using var store = new MemoryVersionPinStore(TimeSpan.FromMinutes(10), timeProvider: _time);
        await store.GetOrAddAsync(Pin("calc-engine", "round-1", "1.4.0"), CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(9));
        var before = await store.GetAsync("calc-engine", "round-1", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(2));
        var after = await store.GetAsync("calc-engine", "round-1", CancellationToken.None);

        Assert.That((before, after), Is.EqualTo((before, (VersionPin?)null)));
        Assert.That(before, Is.Not.Null);
    }

    [Test]
    public async Task SlidingExpiry_EachReadExtendsThePin()
    {
        using var store = new MemoryVersionPinStore(TimeSpan.FromMinutes(10), sliding: true, timeProvider: _time);
        await store.GetOrAddAsync(Pin("calc-engine", "round-1", "1.4.0"), CancellationToken.None);

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(8));
            Assert.That(await store.GetAsync("calc-engine", "round-1", CancellationToken.None), Is.Not.Null, $"read {i + 1}, {8 * (i + 1)} minutes in");
        }

        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.That(await store.GetAsync("calc-engine", "round-1", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task SizeLimit_PerFlag_FullFlagRefusesANewPinWithItsName_OtherFlagsStillAdd()
    {
        using var store = new MemoryVersionPinStore(TimeSpan.FromHours(1), timeProvider: _time, sizeLimit: 2);
        await store.GetOrAddAsync(Pin("calc-engine", "round-1", "1.4.0"), CancellationToken.None);
        await store.GetOrAddAsync(Pin("calc-engine", "round-2", "1.4.0"), CancellationToken.None);

        var full = Assert.ThrowsAsync<InvalidOperationException>(async () => await store.GetOrAddAsync(Pin("calc-engine", "round-3", "1.4.0"), CancellationToken.None));
        var other = await store.GetOrAddAsync(Pin("rng", "round-3", "2.0.0"), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(full!.Message, Does.Contain("round-3").And.Contain("calc-engine").And.Contain("full"));
            Assert.That(await store.GetAsync("calc-engine", "round-1", CancellationToken.None), Is.Not.Null, "existing pins are kept");
            Assert.That(other.FlagKey, Is.EqualTo("rng"));
        });
    }

    [Test]
    public async Task Remove_ExistingPin_TrueOnce_ThenTheKeyResolvesAfresh()
    {
        using var store = new MemoryVersionPinStore(TimeSpan.FromHours(1), timeProvider: _time);
        await store.GetOrAddAsync(Pin("calc-engine", "round-1", "1.4.0"), CancellationToken.None);

        var removed = await store.RemoveAsync("calc-engine", "round-1", CancellationToken.None);
        var again = await store.RemoveAsync("calc-engine", "round-1", CancellationToken.None);
        var unknownFlag = await store.RemoveAsync("never-pinned", "round-1", CancellationToken.None);
        var fresh = Pin("calc-engine", "round-1", "1.5.0");

        Assert.Multiple(async () =>
        {
            Assert.That((removed, again, unknownFlag), Is.EqualTo((true, false, false)));
            Assert.That(await store.GetOrAddAsync(fresh, CancellationToken.None), Is.SameAs(fresh));
        });
    }

    [Test]
    public void Constructor_NonPositiveSizeLimitOrExpiry_Refused()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MemoryVersionPinStore(TimeSpan.Zero));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MemoryVersionPinStore(TimeSpan.FromHours(1), sizeLimit: 0));
        });
    }

    [Test]
    public async Task Get_ExistingPin_AllocatesNothing()
    {
        using var store = new MemoryVersionPinStore(TimeSpan.FromHours(1), timeProvider: _time);
        await store.GetOrAddAsync(Pin("calc-engine", "round-1", "1.4.0"), CancellationToken.None);
        for (var i = 0; i < 100; i++)
        {
            _ = store.GetAsync("calc-engine", "round-1", CancellationToken.None);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _ = store.GetAsync("calc-engine", "round-1", CancellationToken.None);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public async Task ConcurrentFirstAdds_SameKey_EveryCallerGetsTheSamePin()
    {
        using var store = new MemoryVersionPinStore(TimeSpan.FromHours(1), timeProvider: _time);
        using var go = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            go.Wait();
            return await store.GetOrAddAsync(Pin("calc-engine", "round-1", $"1.{i}.0"), CancellationToken.None);
        })).ToArray();

        go.Set();
        var pins = await Task.WhenAll(tasks);

        Assert.That(pins.Distinct().Count(), Is.EqualTo(1));
    }

    private VersionPin Pin(string flag, string pinKey, string version) =>
        new(flag, pinKey, version, "v" + version, 1, 1, EvaluationReason.Default, _time.GetUtcNow());
}
