using FlagKit.Evaluation;

namespace FlagKit.Tests.Evaluation;

public sealed class TextMapTests
{
    [Test]
    public void TryGetValue_10000Keys_FindsEachWithItsValueAndNothingElse()
    {
        var keys = Enumerable.Range(0, 10_000).Select(i => $"flag-{i}").ToArray();
        var map = new TextMap<int>(keys.Select((k, i) => KeyValuePair.Create(k, i)));

        var wrong = keys.Where((k, i) => !map.TryGetValue(new string(k.AsSpan()), out var value) || value != i).ToList();
        var phantom = Enumerable.Range(10_000, 2_000).Where(i => map.ContainsKey($"flag-{i}")).ToList();

        Assert.That(map.Count, Is.EqualTo(10_000));
        Assert.That(wrong, Is.Empty, "a key built at run time (not the same string instance) is found by its characters");
        Assert.That(phantom, Is.Empty);
    }

    [Test]
    public void TryGetValue_WithTheHashTheCallerKept_SameAnswerAsWithout()
    {
        var map = new TextMap<bool>([KeyValuePair.Create("eu", true), KeyValuePair.Create("us", true)]);

        Assert.That(map.ContainsKey("eu", TextHash.Of("eu")), Is.True);
        Assert.That(map.ContainsKey("fr", TextHash.Of("fr")), Is.False);
        Assert.That(map.ContainsKey("eu", TextHash.Of("us")), Is.False, "a hash that is not the key's finds nothing");
    }

    [Test]
    public void Constructor_KeyGivenTwice_KeepsTheFirstValue()
    {
        var map = new TextMap<string>([KeyValuePair.Create("a", "first"), KeyValuePair.Create("a", "second"), KeyValuePair.Create("b", "b")]);

        Assert.That(map.Count, Is.EqualTo(2));
        Assert.That(map["a"], Is.EqualTo("first"));
        Assert.That(map.Keys, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(map.Values, Is.EquivalentTo(new[] { "first", "b" }));
    }

    [Test]
    public void Lookups_EmptyMapEmptyKeyAndNull_AnswerWithoutThrowing()
    {
        var map = new TextMap<int>([KeyValuePair.Create("", 1), KeyValuePair.Create("x", 2)]);

        Assert.That(TextMap<int>.Empty.TryGetValue("x", out _), Is.False);
        Assert.That(map.TryGetValue("", out var empty) && empty == 1, Is.True);
        Assert.That(map.TryGetValue(null!, out _), Is.False);
        Assert.That(map.ContainsKey(null!), Is.False);
        Assert.That(() => map["missing"], Throws.TypeOf<KeyNotFoundException>().With.Message.Contains("missing"));
    }

    [Test]
    public void TextHash_SameTextDifferentInstances_SameHash_AndLengthsMatter()
    {
        string[] texts = ["", "a", "ab", "abc", "abcd", "abcdefgh", "abcdefghi", "new-bonus-engine", "new-bonus-engine-2", new string('x', 200)];

        foreach (var text in texts)
        {
            Assert.That(TextHash.Of(new string(text.AsSpan())), Is.EqualTo(TextHash.Of(text)), text);
        }

        Assert.That(texts.Select(TextHash.Of).Distinct().Count(), Is.EqualTo(texts.Length), "these texts do not collide");
        Assert.That(TextHash.Of("\0"), Is.Not.EqualTo(TextHash.Of("\0\0")), "trailing zero characters change the hash");
    }

    [Test]
    public void TextHash_100000AccountIds_SpreadOverTheLowBitsATableUses()
    {
        const int Count = 100_000;
        const int Buckets = 1 << 17;
        var used = new HashSet<int>();
        for (var i = 0; i < Count; i++)
        {
            used.Add(TextHash.Of($"player-{i}") & (Buckets - 1));
        }

        // Uniform hashing fills 1 - e^(-n/m) of m buckets: 53.4 % here. A weak hash fills far fewer.
        Assert.That(used.Count / (double)Buckets, Is.EqualTo(1 - Math.Exp(-Count / (double)Buckets)).Within(0.01));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(1000)]
    public void TextSet_HeldInlineOrInAMap_FindsMembersOnly(int count)
    {
        var members = Enumerable.Range(0, count).Select(i => $"id-{i}").ToArray();
        var set = new TextSet([.. members, .. members.Take(2)]);

        Assert.That(set.Count, Is.EqualTo(count), "duplicates count once");
        Assert.That(members.Where(m => !set.Contains(new string(m.AsSpan()), TextHash.Of(m))), Is.Empty);
        Assert.That(set.Contains($"id-{count}", TextHash.Of($"id-{count}")), Is.False);
        Assert.That(set.Contains("", TextHash.Of("")), Is.False);
        Assert.That(default(TextSet).Contains("x", TextHash.Of("x")), Is.False, "the empty set of a segment without includes");
    }
}
