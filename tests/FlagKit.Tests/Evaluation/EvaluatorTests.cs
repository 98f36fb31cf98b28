namespace FlagKit.Tests.Evaluation;

public sealed class EvaluatorTests
{
    private static readonly FlagSnapshot Segments = TestDocuments.Snapshot(TestDocuments.FileJson(
        TestDocuments.BoolFlag("vip-only", """ "rules": [ { "id": "vip", "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "on" } ] """, defaultVariant: "off") + "," +
        TestDocuments.BoolFlag("not-vip", """ "rules": [ { "id": "vip", "conditions": [ { "op": "inSegment", "values": ["vip"], "negate": true } ], "variant": "on" } ] """, defaultVariant: "off") + "," +
        TestDocuments.BoolFlag("any-of", """ "rules": [ { "id": "either", "conditions": [ { "op": "inSegment", "values": ["staff", "vip"] } ], "variant": "on" } ] """, defaultVariant: "off"),
        """
        { "key": "staff", "included": ["s1"] },
        { "key": "vip", "included": ["1", "2"], "excluded": ["3"],
          "rules": [
            { "conditions": [ { "attribute": "segment", "op": "in", "values": ["gold"] } ] },
            { "conditions": [ { "attribute": "region", "op": "in", "values": ["mt"] }, { "op": "inSegment", "values": ["staff"] } ] } ] }
        """));

    // account, segment attribute, region → in segment 'vip'
    [TestCase("1", null, null, true, TestName = "Contains_IncludedAccount_IsIn")]
    [TestCase("9", "gold", null, true, TestName = "Contains_AnyRuleMatches_IsIn")]
    [TestCase("3", "gold", null, false, TestName = "Contains_ExcludedAccount_IsOutWhateverElseMatches")]
    [TestCase("9", "silver", "mt", false, TestName = "Contains_RuleWithNestedSegmentNotMatching_IsOut")]
    [TestCase("s1", null, "mt", true, TestName = "Contains_RuleWithNestedSegmentMatching_IsIn")]
    [TestCase(null, "gold", null, true, TestName = "Contains_NoAccountButRuleMatches_IsIn")]
    [TestCase(null, null, null, false, TestName = "Contains_EmptyContext_IsOut")]
    public void Evaluate_InSegment_FollowsIncludesExcludesAndRules(string? account, string? segment, string? region, bool expected)
    {
        var context = new EvaluationContext { AccountId = account, Segment = segment, Region = region };

        Assert.That(Segments.Evaluate("vip-only", context).Reason, Is.EqualTo(expected ? EvaluationReason.RuleMatch : EvaluationReason.Default));
        Assert.That(Segments.Evaluate("not-vip", context).Reason, Is.EqualTo(expected ? EvaluationReason.Default : EvaluationReason.RuleMatch));
    }

    [Test]
    public void Evaluate_InSegmentSeveralKeys_MatchesWhenInAny()
    {
        Assert.That(Segments.Evaluate("any-of", EvaluationContext.ForAccount("s1")).Reason, Is.EqualTo(EvaluationReason.RuleMatch));
        Assert.That(Segments.Evaluate("any-of", EvaluationContext.ForAccount("2")).Reason, Is.EqualTo(EvaluationReason.RuleMatch));
        Assert.That(Segments.Evaluate("any-of", EvaluationContext.ForAccount("7")).Reason, Is.EqualTo(EvaluationReason.Default));
    }

    private static FlagSnapshot Prerequisites(string parentExtra, string parentDefault = "on", string parentOff = "off") => TestDocuments.Snapshot(TestDocuments.FileJson(
        TestDocuments.BoolFlag("child", """ "prerequisites": [ { "flag": "parent", "variant": "on" } ] """) + "," +
        TestDocuments.BoolFlag("grandchild", """ "prerequisites": [ { "flag": "child", "variant": "on" } ] """) + "," +
        TestDocuments.BoolFlag("parent", parentExtra, parentDefault, parentOff)));

    [TestCase("", "on", EvaluationReason.Default, TestName = "Evaluate_PrerequisiteServesRequiredVariant_TargetingApplies")]
    [TestCase("", "off", EvaluationReason.PrerequisiteFailed, TestName = "Evaluate_PrerequisiteServesOtherVariant_OffVariant")]
    [TestCase(""" "killed": true """, "on", EvaluationReason.PrerequisiteFailed, TestName = "Evaluate_PrerequisiteKilledEvenServingRequiredVariant_Fails")]
    [TestCase(""" "description": "parent switched off" """, "on", EvaluationReason.PrerequisiteFailed, TestName = "Evaluate_PrerequisiteOffEvenServingRequiredVariant_Fails")]
    public void Evaluate_Prerequisites_AsDesigned(string parentExtra, string parentDefault, EvaluationReason expected)
    {
        // The parent's off variant is "on" in the failing cases: a killed or disabled prerequisite fails even so.
        var parentOff = expected == EvaluationReason.PrerequisiteFailed && parentExtra.Length > 0 ? "on" : "off";
        var snapshot = Prerequisites(parentExtra, parentDefault, parentOff);
        if (parentExtra.Contains("switched off", StringComparison.Ordinal))
        {
            var file = snapshot.ToFile();
            file.Flags.Single(f => f.Key == "parent").On = false;
            snapshot = FlagKit.Compilation.SnapshotBuilder.Build(file, 2);
        }

        var child = snapshot.Evaluate("child", EvaluationContext.ForAccount("1"));

        Assert.That(child.Reason, Is.EqualTo(expected));
        Assert.That(child.Variant!.Name, Is.EqualTo(expected == EvaluationReason.PrerequisiteFailed ? "off" : "on"));
    }

    [Test]
    public void Evaluate_PrerequisiteChain_FailureTravelsDown()
    {
        var met = Prerequisites("");
        var broken = Prerequisites("", parentDefault: "off");

        Assert.That(met.Evaluate("grandchild", null).Reason, Is.EqualTo(EvaluationReason.Default));
        Assert.That(broken.Evaluate("grandchild", null).Reason, Is.EqualTo(EvaluationReason.PrerequisiteFailed));
    }

    [Test]
    public void Evaluate_PrerequisiteTargetsTheAccount_UsesThePrerequisitesTargeting()
    {
        var snapshot = Prerequisites(""" "targets": { "on": ["vip-1"] } """, parentDefault: "off");

        Assert.That(snapshot.Evaluate("child", EvaluationContext.ForAccount("vip-1")).Reason, Is.EqualTo(EvaluationReason.Default));
        Assert.That(snapshot.Evaluate("child", EvaluationContext.ForAccount("other")).Reason, Is.EqualTo(EvaluationReason.PrerequisiteFailed));
    }

    [Test]
    public void Evaluate_KilledFlagWithTargetsAndRules_ServesOffVariant()
    {
        var snapshot = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("f", """
            "killed": true, "targets": { "on": ["1"] }, "rules": [ { "conditions": [], "variant": "on" } ]
            """)));

        var evaluation = snapshot.Evaluate("f", EvaluationContext.ForAccount("1"));

        Assert.That(evaluation.Reason, Is.EqualTo(EvaluationReason.Killed));
        Assert.That(evaluation.Variant!.Name, Is.EqualTo("off"));
    }

    [Test]
    public void Evaluate_TargetAndMatchingRule_TargetWins()
    {
        var snapshot = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("f", """
            "targets": { "off": ["1"] }, "rules": [ { "id": "all", "conditions": [], "variant": "on" } ]
            """)));

        Assert.That(snapshot.Evaluate("f", EvaluationContext.ForAccount("1")).Reason, Is.EqualTo(EvaluationReason.TargetMatch));
        Assert.That(snapshot.Evaluate("f", EvaluationContext.ForAccount("2")).RuleId, Is.EqualTo("all"));
    }

    [Test]
    public void Evaluate_RuleServingSplit_ReportsRuleMatchWithRuleId()
    {
        var snapshot = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("f", """
            "rules": [ { "id": "eu-canary", "conditions": [ { "attribute": "region", "op": "in", "values": ["eu"] } ],
                         "split": { "variants": [ { "variant": "on", "weight": 100 }, { "variant": "off", "weight": 0 } ] } } ]
            """, defaultVariant: "off")));

        var evaluation = snapshot.Evaluate("f", new EvaluationContext { AccountId = "1", Region = "eu" });

        Assert.That((evaluation.Reason, evaluation.RuleId, evaluation.Variant!.Name), Is.EqualTo((EvaluationReason.RuleMatch, "eu-canary", "on")));
    }
}
