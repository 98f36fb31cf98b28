using System.Text;
using FlagKit.Compilation;

namespace FlagKit.Tests.Documents;

/// <summary>
/// Strings escaped as half of a UTF-16 surrogate pair ("\ud800" alone) are valid JSON syntax but no text: refused when
/// parsed, by name and offset, before a compiler or a copy of the document could trip on them (found by the fuzzer).
/// </summary>
public sealed class FlagJsonSurrogateTests
{
    private const string Prefix = """{ "key": "f", "kind": "string", "on": true, "variants": { "a": """;

    [TestCase("\"\\ud800\"", 1)]
    [TestCase("\"x\\udbff\"", 2)]
    [TestCase("\"\\udc00y\"", 1)]
    [TestCase("\"\\ud800\\u0041\"", 1)]
    [TestCase("\"\\udfff\\ud800\"", 1)]
    [TestCase("\"\\ud800", 1)]
    public void ParseFlag_UnpairedSurrogateEscape_RefusedWithWhereItIs(string value, int escapeAt)
    {
        var json = Prefix + value + """ }, "offVariant": "a", "defaultRule": { "variant": "a" } }""";

        var error = Assert.Throws<FlagValidationException>(() => FlagJson.ParseFlag(Encoding.UTF8.GetBytes(json)))!;

        Assert.That(error.Errors.Single().Message, Does.Contain("half of a UTF-16 surrogate pair").And.Contain($"(byte offset {Prefix.Length + escapeAt})"));
    }

    [Test]
    public void ParseFile_SurrogateInAConditionOperand_RefusedWholeWithTheFileNamed()
    {
        var json = TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "region", "op": "in", "values": ["\udc01"] } ], "variant": "off" } ] """));

        var error = Assert.Throws<FlagValidationException>(() => FlagJson.ParseFile(Encoding.UTF8.GetBytes(json), "flags.json"))!;

        Assert.That(error.Errors.Single().ToString(), Does.Contain("flags.json").And.Contain("surrogate"));
    }

    [Test]
    public void ParseAndBuild_PairedEscapeAndEscapedBackslash_AreText()
    {
        // 🎰 as an escaped pair, and a backslash followed by the letters "ud800".
        var json = TestDocuments.FileJson(TestDocuments.BoolFlag("f", """ "rules": [ { "conditions": [ { "attribute": "region", "op": "in", "values": ["\ud83c\udfb0", "\\ud800"] } ], "variant": "off" } ] """));

        var snapshot = SnapshotBuilder.Build(FlagJson.ParseFile(Encoding.UTF8.GetBytes(json), "flags.json"), 1);

        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Evaluate("f", new EvaluationContext { AccountId = "1", Region = "🎰" }).Variant!.Name, Is.EqualTo("off"));
            Assert.That(snapshot.Evaluate("f", new EvaluationContext { AccountId = "1", Region = "\\ud800" }).Variant!.Name, Is.EqualTo("off"));
            Assert.That(snapshot.Evaluate("f", new EvaluationContext { AccountId = "1", Region = "eu" }).Variant!.Name, Is.EqualTo("on"));
        });
    }
}
