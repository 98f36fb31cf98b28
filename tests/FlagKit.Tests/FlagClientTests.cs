using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Sources;

namespace FlagKit.Tests;

public sealed class FlagClientTests
{
    // One flag per row of the semantics table; the context is account "42" in region "eu".
    private const string SemanticsFile = """
        {
          "schema": 1,
          "flags": [
            { "key": "killed", "kind": "string", "on": true, "killed": true,
              "variants": { "a": "A", "b": "B", "off": "OFF" }, "offVariant": "off",
              "prerequisites": [ { "flag": "disabled", "variant": "a" } ],
              "targets": { "a": ["42"] }, "defaultRule": { "variant": "b" } },
            { "key": "disabled", "kind": "string", "on": false,
              "variants": { "a": "A", "off": "OFF" }, "offVariant": "off",
              "targets": { "a": ["42"] }, "defaultRule": { "variant": "a" } },
            { "key": "prerequisite-failed", "kind": "string", "on": true,
              "variants": { "a": "A", "off": "OFF" }, "offVariant": "off",
              "prerequisites": [ { "flag": "disabled", "variant": "a" } ],
              "targets": { "a": ["42"] }, "defaultRule": { "variant": "a" } },
            { "key": "prerequisite-met", "kind": "string", "on": true,
              "variants": { "a": "A", "off": "OFF" }, "offVariant": "off",
              "prerequisites": [ { "flag": "targeted", "variant": "a" } ],
              "defaultRule": { "variant": "a" } },
            { "key": "targeted", "kind": "string", "on": true,
              "variants": { "a": "A", "b": "B", "off": "OFF" }, "offVariant": "off",
              "targets": { "a": ["42"] },
              "rules": [ { "id": "eu", "conditions": [ { "attribute": "region", "op": "in", "values": ["eu"] } ], "variant": "b" } ],
              "defaultRule": { "variant": "b" } },
            { "key": "ruled", "kind": "string", "on": true,
              "variants": { "a": "A", "b": "B", "off": "OFF" }, "offVariant": "off",
              "rules": [
                { "id": "us", "conditions": [ { "attribute": "region", "op": "in", "values": ["us"] } ], "variant": "a" },
                { "id": "eu", "conditions": [ { "attribute": "region", "op": "in", "values": ["eu"] } ], "variant": "b" },
                { "id": "all", "conditions": [], "variant": "a" } ],
              "defaultRule": { "variant": "a" } },
            { "key": "defaulted", "kind": "string", "on": true,
              "variants": { "a": "A", "b": "B", "off": "OFF" }, "offVariant": "off",
              "rules": [ { "id": "us", "conditions": [ { "attribute": "region", "op": "in", "values": ["us"] } ], "variant": "a" } ],
              "defaultRule": { "variant": "b" } },
            { "key": "split", "kind": "string", "on": true,
              "variants": { "a": "A", "off": "OFF" }, "offVariant": "off",
              "defaultRule": { "split": { "variants": [ { "variant": "a", "weight": 100 }, { "variant": "off", "weight": 0 } ] } } },
            { "key": "number", "kind": "number", "on": true, "version": 7,
              "variants": { "low": 1.5, "high": 99 }, "offVariant": "low", "defaultRule": { "variant": "high" } }
          ]
        }
        """;

    private static readonly EvaluationContext Player = new() { AccountId = "42", Region = "eu" };

    [TestCase("missing", "dflt", null, EvaluationReason.FlagNotFound, EvaluationErrorCode.FlagNotFound, null)]
    [TestCase("killed", "OFF", "off", EvaluationReason.Killed, EvaluationErrorCode.None, null)]
    [TestCase("disabled", "OFF", "off", EvaluationReason.Disabled, EvaluationErrorCode.None, null)]
    [TestCase("prerequisite-failed", "OFF", "off", EvaluationReason.PrerequisiteFailed, EvaluationErrorCode.None, null)]
    [TestCase("prerequisite-met", "A", "a", EvaluationReason.Default, EvaluationErrorCode.None, null)]
    [TestCase("targeted", "A", "a", EvaluationReason.TargetMatch, EvaluationErrorCode.None, null)]
    [TestCase("ruled", "B", "b", EvaluationReason.RuleMatch, EvaluationErrorCode.None, "eu")]
    [TestCase("defaulted", "B", "b", EvaluationReason.Default, EvaluationErrorCode.None, null)]
    [TestCase("split", "A", "a", EvaluationReason.Split, EvaluationErrorCode.None, null)]
    [TestCase("number", "dflt", null, EvaluationReason.TypeMismatch, EvaluationErrorCode.TypeMismatch, null)]
    public async Task GetStringDetails_SemanticsTable_ServesAsDesigned(string key, string value, string? variant, EvaluationReason reason, EvaluationErrorCode error, string? ruleId)
    {
        await using var client = await StartedClient(SemanticsFile);

        var details = client.GetStringDetails(key, Player, "dflt");

        Assert.That(details.Value, Is.EqualTo(value));
        Assert.That(details.Variant, Is.EqualTo(variant));
        Assert.That(details.Reason, Is.EqualTo(reason));
        Assert.That(details.ErrorCode, Is.EqualTo(error));
        Assert.That(details.RuleId, Is.EqualTo(ruleId));
        Assert.That(details.Revision, Is.EqualTo(1));
    }

    [Test]
    public async Task GetStringDetails_SplitWithoutAccountId_ServesDefaultWithTargetingKeyMissing()
    {
        await using var client = await StartedClient(SemanticsFile);

        var details = client.GetStringDetails("split", new EvaluationContext { Region = "eu" }, "dflt");

        Assert.That(details.Value, Is.EqualTo("dflt"));
        Assert.That(details.Reason, Is.EqualTo(EvaluationReason.Error));
        Assert.That(details.ErrorCode, Is.EqualTo(EvaluationErrorCode.TargetingKeyMissing));
    }

    [Test]
    public async Task GetNumberDetails_NumberFlag_ServesValueWithFlagVersion()
    {
        await using var client = await StartedClient(SemanticsFile);

        var details = client.GetNumberDetails("number", Player, -1);

        Assert.That(details.Value, Is.EqualTo(99));
        Assert.That(details.Variant, Is.EqualTo("high"));
        Assert.That(details.FlagVersion, Is.EqualTo(7));
        Assert.That(client.GetNumber("number", Player, -1), Is.EqualTo(99));
    }

    [Test]
    public async Task TypedGetters_WrongKind_ServeCallerDefault()
    {
        await using var client = await StartedClient(SemanticsFile);

        Assert.That(client.IsEnabled("number", Player, defaultValue: true), Is.True);
        Assert.That(client.GetNumber("targeted", Player, -1), Is.EqualTo(-1));
        Assert.That(client.GetString("number", Player, "dflt"), Is.EqualTo("dflt"));
        Assert.That(client.GetBoolDetails("targeted", Player).Reason, Is.EqualTo(EvaluationReason.TypeMismatch));
        Assert.That(client.GetNumberDetails("targeted", Player).ErrorCode, Is.EqualTo(EvaluationErrorCode.TypeMismatch));
    }

    [Test]
    public async Task GetJson_AnyKind_ServesTheVariantsJsonValue()
    {
        await using var client = await StartedClient(SemanticsFile);

        var json = client.GetJson("targeted", Player);
        var details = client.GetJsonDetails("number", Player);

        Assert.That(json.GetString(), Is.EqualTo("A"));
        Assert.That(details.Value.GetDouble(), Is.EqualTo(99));
        Assert.That(client.GetJson("missing", Player).ValueKind, Is.EqualTo(JsonValueKind.Undefined));
    }

    [Test]
    public async Task GetJson_SameFlagTwice_ReturnsTheSameParsedValue()
    {
        await using var flags = new TestFlags().SetJson("limits", """{ "maxBet": 50, "currencies": ["EUR", "GBP"] }""");

        var first = flags.Client.GetJson("limits");
        var second = flags.Client.GetJson("limits");

        Assert.That(first.GetProperty("maxBet").GetInt32(), Is.EqualTo(50));
        Assert.That(second.GetProperty("currencies")[1].GetString(), Is.EqualTo("GBP"));
        Assert.That(JsonElement.DeepEquals(first, second), Is.True);
    }

    [Test]
    public async Task IsEnabled_NullKeyOrNullContext_NeverThrows()
    {
        await using var client = await StartedClient(SemanticsFile);

        Assert.That(client.IsEnabled(null!, null, defaultValue: true), Is.True);
        Assert.That(client.GetStringDetails("ruled", null, "dflt").RuleId, Is.EqualTo("all"));
    }

    [Test]
    public async Task IsEnabled_RegexThatWouldBacktrack_AnswersInLinearTimeWithoutError()
    {
        // (a+)+$ against many a's and a final b backtracks catastrophically; linear-time matching answers "no match".
        var file = TestDocuments.FileJson(TestDocuments.BoolFlag("regex", """
            "rules": [ { "conditions": [ { "attribute": "name", "op": "regex", "values": ["^(a+)+$"] } ], "variant": "off" } ]
            """));
        await using var client = await StartedClient(file);
        var context = new EvaluationContext { AccountId = "1" }.WithAttribute("name", new string('a', 40) + "b");

        var details = client.GetBoolDetails("regex", context, defaultValue: false);

        Assert.That(details.Reason, Is.EqualTo(EvaluationReason.Default));
        Assert.That(details.ErrorCode, Is.EqualTo(EvaluationErrorCode.None));
        Assert.That(details.Value, Is.True);
    }

    [Test]
    public void IsEnabled_BeforeStart_ServesDefaultFromEmptySnapshot()
    {
        var client = new FlagClient(new InMemoryFlagSource(TestDocuments.File(SemanticsFile)));

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Starting));
        Assert.That(client.IsEnabled("targeted", Player, defaultValue: true), Is.True);
        Assert.That(client.Snapshot.Revision, Is.EqualTo(0));
    }

    [Test]
    public async Task StartAsync_InMemorySource_BecomesReady()
    {
        var client = new FlagClient(new InMemoryFlagSource(TestDocuments.File(SemanticsFile)));
        var statuses = new List<FlagClientStatus>();
        client.StatusChanged += (_, e) => statuses.Add(e.Status);

        await client.StartAsync();
        await client.WaitUntilReadyAsync();

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(() => statuses, Is.EqualTo(new[] { FlagClientStatus.Ready }).After(5000, 10), "raised on the client's own task");
        Assert.That(client.Snapshot.FlagCount, Is.EqualTo(9));
        await client.DisposeAsync();
    }

    [Test]
    public async Task FlagsChanged_FlagEdited_ListsItAndItsDependents()
    {
        var source = new InMemoryFlagSource(TestDocuments.File(SemanticsFile));
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var events = new List<FlagsChangedEventArgs>();
        client.FlagsChanged += (_, e) => events.Add(e);

        var file = source.Snapshot.ToFile();
        file.Flags.Single(f => f.Key == "disabled").On = true;
        source.Replace(file);

        Assert.That(() => events, Has.Count.EqualTo(1).After(5000, 10), "raised on the client's own task");
        Assert.That(events[0].Keys, Is.EqualTo(new[] { "disabled", "killed", "prerequisite-failed" }));
        Assert.That(events[0].Revision, Is.EqualTo(2));
        Assert.That(events[0].PreviousRevision, Is.EqualTo(1));
    }

    [Test]
    public async Task FlagsChanged_SegmentEdited_ListsTheFlagsThatUseIt()
    {
        var file = TestDocuments.FileJson(
            TestDocuments.BoolFlag("uses-vip", """ "rules": [ { "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "off" } ] """)
            + "," + TestDocuments.BoolFlag("uses-whales", """ "rules": [ { "conditions": [ { "op": "inSegment", "values": ["whales"] } ], "variant": "off" } ] """)
            + "," + TestDocuments.BoolFlag("plain"),
            """{ "key": "vip", "included": ["1"] }, { "key": "whales", "rules": [ { "conditions": [ { "op": "inSegment", "values": ["vip"] } ] } ] }""");
        var source = new InMemoryFlagSource(TestDocuments.File(file));
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var events = new List<FlagsChangedEventArgs>();
        client.FlagsChanged += (_, e) => events.Add(e);

        source.SetSegment(new SegmentDocument { Key = "vip", Included = ["1", "2"] });
        Assert.That(() => events, Has.Count.EqualTo(1).After(5000, 10), "raised on the client's own task");

        Assert.That(events.Single().Keys, Is.EqualTo(new[] { "uses-vip", "uses-whales" }));
        Assert.That(client.IsEnabled("uses-whales", EvaluationContext.ForAccount("2"), defaultValue: true), Is.False);
    }

    [Test]
    public async Task FlagsChanged_HandlerThrows_ClientKeepsServing()
    {
        await using var flags = new TestFlags().Set("a", true);
        flags.Client.FlagsChanged += (_, _) => throw new InvalidOperationException("handler bug");

        flags.Set("a", false);

        Assert.That(flags.Client.IsEnabled("a", defaultValue: true), Is.False);
    }

    [Test]
    public async Task Getters_HotPath_AllocateNothing()
    {
        // Not a timing test: allocation is deterministic. Every path the benchmarks measure, plus the others.
        var file = TestDocuments.FileJson(
            TestDocuments.BoolFlag("plain") + "," +
            """
                { "key": "targeted", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
                "targets": { "on": ["vip-9"] },
                "rules": [
                  { "id": "blocked", "conditions": [ { "attribute": "region", "op": "in", "values": ["us"] } ], "variant": "off" },
                  { "id": "vip", "conditions": [ { "op": "inSegment", "values": ["vip"] } ], "variant": "on" },
                  { "id": "old", "conditions": [ { "attribute": "clientVersion", "op": "semverLt", "values": ["3.0.0"] } ], "variant": "off" },
                  { "id": "net", "conditions": [ { "attribute": "ip", "op": "cidr", "values": ["10.0.0.0/8"], "negate": true },
                                                 { "attribute": "app", "op": "regex", "values": ["^never$"] } ], "variant": "off" } ],
                "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 25 }, { "variant": "off", "weight": 75 } ] } } }
                """,
            """{ "key": "vip", "included": ["vip-1"], "rules": [ { "conditions": [ { "attribute": "segment", "op": "in", "values": ["gold"] } ] } ] }""");
        await using var client = await StartedClient(file);
        await using var json = new TestFlags().SetJson("limits", "[1, 2]").Set("theme", "dark").Set("max", 5.0);
        var context = new EvaluationContext { AccountId = "player-1234567", Region = "eu", Segment = "silver", ClientVersion = "3.4.1", ClientIp = "192.168.0.1", App = "web" };

        // An account id that is not ASCII takes the other bucketing path (UTF-8 encoded on the stack).
        var unicode = context.WithAttribute("accountId", "jöe-🎰-1234567");

        void EvaluateAll()
        {
            client.IsEnabled("plain", context);
            client.IsEnabled("targeted", context);
            client.IsEnabled("targeted", unicode);
            client.GetBoolDetails("targeted", context);
            client.GetStringDetails("targeted", context);
            client.IsEnabled("missing", context);
            json.Client.GetJson("limits", context);
            json.Client.GetString("theme", context);
            json.Client.GetNumberDetails("max", context);
        }

        for (var i = 0; i < 1000; i++)
        {
            EvaluateAll();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            EvaluateAll();
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(client.GetBoolDetails("targeted", context).Reason, Is.EqualTo(EvaluationReason.Split));
        Assert.That(client.GetBoolDetails("targeted", unicode).Reason, Is.EqualTo(EvaluationReason.Split));
    }

    private static async Task<FlagClient> StartedClient(string fileJson)
    {
        var client = new FlagClient(new InMemoryFlagSource(TestDocuments.File(fileJson)));
        await client.StartAsync();
        return client;
    }
}
