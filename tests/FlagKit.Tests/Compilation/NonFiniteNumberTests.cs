namespace FlagKit.Tests.Compilation;

/// <summary>
/// Issue 11 item 7, SDK side: numbers a double cannot hold (1e400), NaN/∞ weights and a split naming a variant twice
/// are refused by the compiler with the JSON path, never thrown later by whoever reads the value.
/// </summary>
[TestFixture]
public sealed class NonFiniteNumberTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("1e400 inside a json variant",
            """{ "key": "j", "kind": "json", "on": true, "variants": { "a": { "limits": [1, 1e400] }, "b": {} }, "offVariant": "b", "defaultRule": { "variant": "a" } }""",
            "flag 'j' at $.flags[0].variants.a: a json flag's variant must be a JSON value whose numbers are finite doubles (1e400 overflows), found an object");
        yield return Case("-1e400 as a json variant",
            """{ "key": "j", "kind": "json", "on": true, "variants": { "a": -1e400, "b": {} }, "offVariant": "b", "defaultRule": { "variant": "a" } }""",
            "flag 'j' at $.flags[0].variants.a: a json flag's variant must be a JSON value whose numbers are finite doubles (1e400 overflows), found the number -1e400");
        yield return Case("1e400 as a number variant",
            """{ "key": "n", "kind": "number", "on": true, "variants": { "a": 1e400, "b": 2 }, "offVariant": "b", "defaultRule": { "variant": "a" } }""",
            "flag 'n' at $.flags[0].variants.a: a number flag's variant must be a finite number, found the number 1e400");
        yield return Case("a split naming a variant twice",
            TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [], "split": { "variants": [ { "variant": "on", "weight": 50 }, { "variant": "on", "weight": 50 } ] } } ] """),
            "flag 'f' at $.flags[0].rules[0].split.variants[1].variant: variant 'on' appears twice in the split");

        static TestCaseData Case(string name, string flag, string expected) => new TestCaseData(flag, expected).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Cases))]
    public void Build_NonFiniteOrDuplicate_RefusedWithPath(string flag, string expected)
    {
        Assert.That(TestDocuments.BuildErrors(TestDocuments.FileJson(flag)), Does.Contain(expected));
    }

    [Test]
    public void Build_JsonVariantWithLargeFiniteNumbers_Accepted()
    {
        const string flag = """{ "key": "j", "kind": "json", "on": true, "variants": { "a": { "max": 1.7e308, "min": -1e300, "list": [0, 1e-400] }, "b": null }, "offVariant": "b", "defaultRule": { "variant": "a" } }""";

        Assert.That(TestDocuments.BuildErrors(TestDocuments.FileJson(flag)), Is.Empty);
    }
}
