using System.Text.Json;
using FlagKit.Documents;

namespace FlagKit.Tests.Documents;

public sealed class FlagJsonContextTests
{
    [Test]
    public void Deserialize_FlagFile_ReadsKindsVariantsAndRules()
    {
        const string json = """
            {
              "schema": 1,
              "flags": [
                {
                  "key": "new-bonus-engine",
                  "kind": "bool",
                  "on": true,
                  "variants": { "on": true, "off": false },
                  "offVariant": "off",
                  "rules": [ { "id": "eu", "conditions": [ { "attribute": "region", "op": "in", "values": ["eu"] } ], "variant": "on" } ],
                  "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 5 }, { "variant": "off", "weight": 95 } ] } }
                }
              ]
            }
            """;

        var file = JsonSerializer.Deserialize(json, FlagJsonContext.Default.FlagFile)!;

        Assert.That(file.Schema, Is.EqualTo(1));
        Assert.That(file.Flags, Has.Count.EqualTo(1));
        var flag = file.Flags[0];
        Assert.That(flag.Kind, Is.EqualTo(FlagKind.Bool));
        Assert.That(flag.Variants["on"].GetBoolean(), Is.True);
        Assert.That(flag.Rules[0].Conditions[0].Op, Is.EqualTo("in"));
        Assert.That(flag.DefaultRule.Split!.Variants[0].Weight, Is.EqualTo(5));
    }

    [Test]
    public void Serialize_FlagKind_WritesLowerCaseName()
    {
        var json = JsonSerializer.Serialize(new FlagDocument { Key = "k", Kind = FlagKind.Version }, FlagJsonContext.Default.FlagDocument);

        Assert.That(json, Does.Contain("\"kind\": \"version\""));
    }
}
