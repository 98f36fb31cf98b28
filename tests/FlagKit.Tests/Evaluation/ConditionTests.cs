using FlagKit.Compilation;

namespace FlagKit.Tests.Evaluation;

public sealed class ConditionTests
{
    // attribute, op, operands (JSON array), context value (string, double or null = missing), expected match.
    private static readonly object?[][] Cases =
    [
        ["region", "in", """["eu", "uk"]""", "eu", true],
        ["region", "in", """["eu", "uk"]""", "us", false],
        ["region", "in", """["eu", "uk"]""", "EU", false],
        ["region", "in", """["eu", "uk"]""", null, false],
        ["level", "in", """[1, 2, 3]""", 3.0, true],
        ["level", "in", """[1, 2, 3]""", "3", true],
        ["accountId", "in", """["1","2","3","4","5","6","7","8","9","10"]""", "10", true],
        ["accountId", "in", """["1","2","3","4","5","6","7","8","9","10"]""", "11", false],
        ["region", "notIn", """["eu"]""", "us", true],
        ["region", "notIn", """["eu"]""", "eu", false],
        ["region", "notIn", """["eu"]""", null, false],
        ["game", "equals", """["book-of-ra"]""", "book-of-ra", true],
        ["game", "equals", """["book-of-ra"]""", "book-of-ra-deluxe", false],
        ["game", "startsWith", """["book-", "lucky-"]""", "lucky-lady", true],
        ["game", "startsWith", """["book-"]""", "the-book-", false],
        ["game", "endsWith", """["-deluxe"]""", "book-of-ra-deluxe", true],
        ["game", "endsWith", """["-deluxe"]""", "deluxe-book", false],
        ["game", "contains", """["of"]""", "book-of-ra", true],
        ["game", "contains", """["of"]""", "sizzling-hot", false],
        ["app", "regex", """["^slots-(web|ios)$"]""", "slots-ios", true],
        ["app", "regex", """["^slots-(web|ios)$"]""", "slots-android", false],
        ["level", "lt", """[10]""", 9.0, true],
        ["level", "lt", """[10]""", 10.0, false],
        ["level", "lte", """[10]""", 10.0, true],
        ["level", "gt", """[10]""", 10.5, true],
        ["level", "gt", """[10]""", 10.0, false],
        ["level", "gte", """[10]""", 10.0, true],
        ["level", "lt", """[10]""", "9", true],
        ["level", "lt", """[10]""", "nine", false],
        ["accountId", "between", """[900000000, 999999999]""", "950000000", true],
        ["accountId", "between", """[900000000, 999999999]""", "900000000", true],
        ["accountId", "between", """[900000000, 999999999]""", "999999999", true],
        ["accountId", "between", """[900000000, 999999999]""", "899999999", false],
        ["accountId", "between", """[900000000, 999999999]""", "1000000000", false],
        ["ip", "cidr", """["10.0.0.0/8", "192.168.1.0/24"]""", "10.20.30.40", true],
        ["ip", "cidr", """["10.0.0.0/8", "192.168.1.0/24"]""", "192.168.1.255", true],
        ["ip", "cidr", """["10.0.0.0/8", "192.168.1.0/24"]""", "192.168.2.1", false],
        ["ip", "cidr", """["10.0.0.0/8"]""", "::ffff:10.0.0.1", true],
        ["ip", "cidr", """["10.0.0.0/8"]""", "not-an-ip", false],
        ["ip", "cidr", """["2001:db8::/32"]""", "2001:db8:1::1", true],
        ["ip", "cidr", """["2001:db8::/32"]""", "2001:db9::1", false],
        ["ip", "cidr", """["2001:db8::/32"]""", "10.0.0.1", false],
        ["ip", "cidr", """["203.0.113.7"]""", "203.0.113.7", true],
        ["ip", "cidr", """["0.0.0.0/0"]""", "8.8.8.8", true],
        ["signup", "before", """["2026-06-01T00:00:00Z"]""", "2026-05-31T23:59:59Z", true],
        ["signup", "before", """["2026-06-01T00:00:00Z"]""", "2026-06-01T00:00:00Z", false],
        ["signup", "before", """["2026-06-01"]""", "2026-06-01T01:00:00+02:00", true],
        ["signup", "after", """["2026-06-01T00:00:00Z"]""", "2026-06-01T00:00:01Z", true],
        ["signup", "after", """["2026-06-01T00:00:00Z"]""", 1780272000.0 - 1, false],
        ["signup", "after", """["2026-06-01T00:00:00Z"]""", 1780272000.0 + 1, true],
        ["signup", "after", """["2026-06-01T00:00:00Z"]""", "someday", false],
        ["clientVersion", "semverEq", """["3.2.0"]""", "3.2.0", true],
        ["clientVersion", "semverEq", """["3.2.0"]""", "3.2.0+build.7", true],
        ["clientVersion", "semverEq", """["3.2.0"]""", "3.2.1", false],
        ["clientVersion", "semverLt", """["3.2.0"]""", "3.2.0-rc.1", true],
        ["clientVersion", "semverLt", """["3.2.0"]""", "3.2.0", false],
        ["clientVersion", "semverLte", """["3.2.0"]""", "3.2.0", true],
        ["clientVersion", "semverGt", """["3.2.0"]""", "3.10.0", true],
        ["clientVersion", "semverGt", """["3.2.0"]""", "3.2.0", false],
        ["clientVersion", "semverGte", """["3.2.0"]""", "3.2.0", true],
        ["clientVersion", "semverGte", """["3.2.0"]""", "not.a.version", false],
        ["clientVersion", "semverRange", """[">=2.3.0 <4.0.0"]""", "3.9.9", true],
        ["clientVersion", "semverRange", """[">=2.3.0 <4.0.0"]""", "4.0.0", false],
        ["clientVersion", "semverRange", """["^3.1.0", "~1.4.0"]""", "1.4.7", true],
        ["clientVersion", "semverRange", """["^3.1.0", "~1.4.0"]""", "1.5.0", false],
        ["calcVer", "semverGte", """["2.0.0"]""", "2.1.0", true],
    ];

    private static IEnumerable<TestCaseData> MatchCases() =>
        Cases.Select(c => new TestCaseData(c[0], c[1], c[2], c[3], c[4]).SetArgDisplayNames($"{c[0]} {c[1]} {c[2]} @ {c[3] ?? "<missing>"}"));

    [TestCaseSource(nameof(MatchCases))]
    public void Matches_OperatorTable_MatchesAsDocumented(string attribute, string op, string operands, object? value, bool expected)
    {
        Assert.That(Evaluate(attribute, op, operands, value, negate: false), Is.EqualTo(expected));
    }

    [TestCaseSource(nameof(MatchCases))]
    public void Matches_Negated_MatchesTheOpposite(string attribute, string op, string operands, object? value, bool expected)
    {
        Assert.That(Evaluate(attribute, op, operands, value, negate: true), Is.EqualTo(!expected));
    }

    [Test]
    public void Matches_NoContext_MissingAttributeDoesNotMatch()
    {
        var snapshot = Snapshot("region", "in", """["eu"]""", negate: false);

        Assert.That(snapshot.Evaluate("f", null).Reason, Is.EqualTo(EvaluationReason.Default));
    }

    [Test]
    public void Matches_SeveralConditions_AllMustMatch()
    {
        var snapshot = TestDocuments.Snapshot(TestDocuments.FileJson(TestDocuments.BoolFlag("f", """
            "rules": [ { "id": "canary", "conditions": [
                { "attribute": "region", "op": "in", "values": ["eu"] },
                { "attribute": "game", "op": "in", "values": ["book-of-ra"] } ], "variant": "on" } ]
            """, defaultVariant: "off")));

        var both = snapshot.Evaluate("f", new EvaluationContext { Region = "eu", Game = "book-of-ra" });
        var one = snapshot.Evaluate("f", new EvaluationContext { Region = "eu", Game = "sizzling-hot" });

        Assert.That(both.Reason, Is.EqualTo(EvaluationReason.RuleMatch));
        Assert.That(both.RuleId, Is.EqualTo("canary"));
        Assert.That(one.Reason, Is.EqualTo(EvaluationReason.Default));
    }

    private static bool Evaluate(string attribute, string op, string operands, object? value, bool negate)
    {
        var snapshot = Snapshot(attribute, op, operands, negate);
        var context = new EvaluationContext();
        context = value switch
        {
            null => context,
            double number => context.WithAttribute(attribute, number),
            _ => context.WithAttribute(attribute, (string)value),
        };

        var evaluation = snapshot.Evaluate("f", context);
        Assert.That(evaluation.Reason, Is.AnyOf(EvaluationReason.RuleMatch, EvaluationReason.Default));
        return evaluation.Reason == EvaluationReason.RuleMatch;
    }

    private static FlagSnapshot Snapshot(string attribute, string op, string operands, bool negate) =>
        SnapshotBuilder.Build(TestDocuments.File(TestDocuments.FileJson(TestDocuments.BoolFlag("f", $$"""
            "rules": [ { "conditions": [ { "attribute": "{{attribute}}", "op": "{{op}}", "values": {{operands}}, "negate": {{(negate ? "true" : "false")}} } ], "variant": "on" } ]
            """, defaultVariant: "off"))), 1);
}
