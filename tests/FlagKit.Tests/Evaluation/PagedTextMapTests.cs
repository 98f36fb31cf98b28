using FlagKit.Evaluation;

namespace FlagKit.Tests.Evaluation;

public sealed class PagedTextMapTests
{
    [Test]
    public void TryGetValue_10000Keys_FindsEachWithItsValueAndNothingElse()
    {
        var map = PagedTextMap<int>.Create(Enumerable.Range(0, 10_000).Select(i => new KeyValuePair<string, int>($"flag-{i}", i)));

        Assert.That(map.Count, Is.EqualTo(10_000));
        Assert.That(map.PageCount, Is.EqualTo(256), "about 40 entries a page");
        Assert.That(Enumerable.Range(0, 10_000).All(i => map.TryGetValue($"flag-{i}", out var v) && v == i), Is.True);
        Assert.That(map.ContainsKey("flag-10000") || map.ContainsKey("") || map.ContainsKey(null!), Is.False);
        Assert.That(map.Keys.Distinct().Count(), Is.EqualTo(10_000));
    }

    [Test]
    public void Create_KeyGivenTwice_KeepsTheFirstValue()
    {
        var map = PagedTextMap<int>.Create([new("a", 1), new("b", 2), new("a", 3)]);

        Assert.That(map.Count, Is.EqualTo(2));
        Assert.That(map["a"], Is.EqualTo(1));
    }

    [Test]
    public void With_OneChange_SharesEveryPageButTheOneItTouches()
    {
        var map = PagedTextMap<int>.Create(Enumerable.Range(0, 10_000).Select(i => new KeyValuePair<string, int>($"flag-{i}", i)));

        var next = map.With(new Dictionary<string, int> { ["flag-5000"] = -1 }, new HashSet<string>());

        Assert.That(next["flag-5000"], Is.EqualTo(-1));
        Assert.That(map["flag-5000"], Is.EqualTo(5000), "the previous map is untouched");
        Assert.That(next.Count, Is.EqualTo(10_000));
        Assert.That(next.PageCount, Is.EqualTo(map.PageCount));
    }

    [TestCase(1)]
    [TestCase(2)]
    public void With_RandomSequencesOfChanges_AnswersLikeADictionary(int seed)
    {
        // Grows from empty past several page-count changes, shrinks back, with small deltas and large ones (rebuilds).
        var random = new Random(seed);
        var model = new Dictionary<string, int>(StringComparer.Ordinal);
        var map = PagedTextMap<int>.Empty;
        for (var step = 0; step < 400; step++)
        {
            var growing = step < 250;
            var changes = random.Next(10) == 0 ? random.Next(50, 400) : random.Next(1, 4);
            var upserts = new Dictionary<string, int>(StringComparer.Ordinal);
            var removed = new HashSet<string>(StringComparer.Ordinal);
            for (var c = 0; c < changes; c++)
            {
                var key = $"k{random.Next(growing ? 3000 : 600)}";
                if (random.Next(growing ? 4 : 2) == 0)
                {
                    removed.Add(key);
                }
                else
                {
                    upserts[key] = random.Next();
                }
            }

            map = map.With(upserts, removed);
            foreach (var key in removed)
            {
                model.Remove(key);
            }

            foreach (var (key, value) in upserts)
            {
                model[key] = value;
            }

            Assert.That(map.Count, Is.EqualTo(model.Count), $"step {step}");
            if (step % 20 == 0 || step == 399)
            {
                var entries = map.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
                Assert.That(entries.Count == model.Count && model.All(e => entries.TryGetValue(e.Key, out var v) && v == e.Value), Is.True, $"step {step}: enumeration");
            }

            for (var i = 0; i < 3000; i++)
            {
                var key = $"k{i}";
                if (map.TryGetValue(key, out var v) != model.TryGetValue(key, out var m) || v != m)
                {
                    Assert.Fail($"step {step}: {key} is {v}, expected {m}");
                }
            }
        }

        Assert.That(map.PageCount, Is.LessThanOrEqualTo(64));
    }
}
