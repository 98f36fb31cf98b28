using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Evaluation;

namespace FlagKit.Tests.Evaluation;

public sealed class CompiledSplitTests
{
    private const int Keys = 100_000;

    [Test]
    public void VariantFor_100000Keys_EachVariantWithinHalfAPercentOfItsWeight()
    {
        var snapshot = Split("""[ { "variant": "a", "weight": 5 }, { "variant": "b", "weight": 25 }, { "variant": "c", "weight": 70 } ]""");
        var counts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0, ["c"] = 0 };

        for (var i = 0; i < Keys; i++)
        {
            counts[snapshot.Evaluate("f", EvaluationContext.ForAccount(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).Variant!.Name]++;
        }

        Assert.That(counts["a"] * 100.0 / Keys, Is.EqualTo(5).Within(0.5));
        Assert.That(counts["b"] * 100.0 / Keys, Is.EqualTo(25).Within(0.5));
        Assert.That(counts["c"] * 100.0 / Keys, Is.EqualTo(70).Within(0.5));
    }

    [Test]
    public void VariantFor_RolloutRaisedFrom5To25Percent_KeepsEveryoneAlreadyIn()
    {
        var before = Split("""[ { "variant": "a", "weight": 5 }, { "variant": "c", "weight": 95 } ]""");
        var after = Split("""[ { "variant": "a", "weight": 25 }, { "variant": "c", "weight": 75 } ]""");
        var firstIn = 0;
        var lost = 0;
        var nowIn = 0;

        for (var i = 0; i < Keys; i++)
        {
            var context = EvaluationContext.ForAccount($"player-{i}");
            var wasIn = before.Evaluate("f", context).Variant!.Name == "a";
            var isIn = after.Evaluate("f", context).Variant!.Name == "a";
            firstIn += wasIn ? 1 : 0;
            nowIn += isIn ? 1 : 0;
            lost += wasIn && !isIn ? 1 : 0;
        }

        Assert.That(lost, Is.Zero);
        Assert.That(firstIn * 100.0 / Keys, Is.EqualTo(5).Within(0.5));
        Assert.That(nowIn * 100.0 / Keys, Is.EqualTo(25).Within(0.5));
    }

    [Test]
    public void VariantFor_BucketBoundaries_ConsecutiveRangesInListOrder()
    {
        var split = new CompiledSplit(AttributeRef.AccountId, "f", [500, 3000, 10_000], [0, 1, 2]);

        Assert.That(new[] { 0, 499, 500, 2999, 3000, 9999 }.Select(split.VariantFor), Is.EqualTo(new[] { 0, 0, 1, 1, 2, 2 }));
    }

    [Test]
    public void Evaluate_PublishedVector_ServesTheVariantOfItsBucket()
    {
        // "new-bonus-engine/42" is bucket 6083 (docs/bucketing.md): in a 60.83 % first range it is just out, in 60.84 % just in.
        var out6083 = Split("""[ { "variant": "a", "weight": 60.83 }, { "variant": "c", "weight": 39.17 } ]""", salt: "new-bonus-engine");
        var in6084 = Split("""[ { "variant": "a", "weight": 60.84 }, { "variant": "c", "weight": 39.16 } ]""", salt: "new-bonus-engine");

        Assert.That(out6083.Evaluate("f", EvaluationContext.ForAccount("42")).Variant!.Name, Is.EqualTo("c"));
        Assert.That(in6084.Evaluate("f", EvaluationContext.ForAccount("42")).Variant!.Name, Is.EqualTo("a"));
    }

    [Test]
    public void Evaluate_BucketByCustomAttribute_HashesThatAttribute()
    {
        var snapshot = Split("""[ { "variant": "a", "weight": 60.84 }, { "variant": "c", "weight": 39.16 } ]""", salt: "new-bonus-engine", bucketBy: "sessionId");

        var inByAttribute = snapshot.Evaluate("f", new EvaluationContext { AccountId = "someone" }.WithAttribute("sessionId", "42"));
        var missing = snapshot.Evaluate("f", new EvaluationContext { AccountId = "42" });

        Assert.That(inByAttribute.Variant!.Name, Is.EqualTo("a"));
        Assert.That(missing.ErrorCode, Is.EqualTo(EvaluationErrorCode.TargetingKeyMissing));
    }

    [Test]
    public void Evaluate_SplitSaltOverridesFlagSalt()
    {
        var bySplitSalt = Split("""[ { "variant": "a", "weight": 60.84 }, { "variant": "c", "weight": 39.16 } ]""", salt: "ignored", splitSalt: "new-bonus-engine");

        Assert.That(bySplitSalt.Evaluate("f", EvaluationContext.ForAccount("42")).Variant!.Name, Is.EqualTo("a"));
    }

    private static FlagSnapshot Split(string variants, string? salt = null, string? bucketBy = null, string? splitSalt = null)
    {
        var flag = TestDocuments.Flag($$"""
            { "key": "f", "kind": "string", "on": true, "variants": { "a": "A", "b": "B", "c": "C" }, "offVariant": "c",
              "defaultRule": { "split": { "variants": {{variants}} } } }
            """);
        flag.Salt = salt;
        flag.DefaultRule.Split!.BucketBy = bucketBy;
        flag.DefaultRule.Split!.Salt = splitSalt;
        return SnapshotBuilder.Build(new FlagFile { Flags = [flag] }, 1);
    }
}
