using System.Text;
using System.Text.Json;
using FlagKit.Compilation;
using FlagKit.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using WriteOptions = FlagKit.Protocol.V1.WriteOptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Writes;

/// <summary>A flag's kill is a set of sources (itself, each tag, each incident); unkill lifts only what it names.</summary>
public sealed class KillSourceTests
{
    private const string Env = TestFlagServer.Environment;
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);
    private TestFlagServer _server = null!;
    private FakeTimeProvider _time = null!;

    [SetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider(Start);
        _server = await TestFlagServer.StartAsync(configure: builder => builder.Services.AddSingleton<TimeProvider>(_time));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("bonus-wheel", on: true, tags: ["payouts"])));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("cashout", on: true, tags: ["payouts"])));
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task UnkillTag_FlagAlsoKilledByItself_StaysKilledAndSaysWhy()
    {
        await State(FlagStateChange.Kill, key: "bonus-wheel", comment: "INC-A");
        _time.Advance(TimeSpan.FromMinutes(5));
        await State(FlagStateChange.Kill, tag: "payouts", comment: "INC-B");

        var unkill = await State(FlagStateChange.Unkill, tag: "payouts", comment: "INC-B over");

        var wheel = await Flag("bonus-wheel");
        Assert.That(wheel.GetProperty("killed").GetBoolean(), Is.True, "INC-A still stands");
        var kills = wheel.GetProperty("kills");
        Assert.That(kills.GetArrayLength(), Is.EqualTo(1));
        Assert.That(kills[0].GetProperty("source").GetString(), Is.EqualTo("flag"));
        Assert.That(kills[0].GetProperty("reason").GetString(), Is.EqualTo("INC-A"));
        Assert.That(kills[0].GetProperty("by").GetString(), Is.EqualTo("bootstrap admin"));
        Assert.That(kills[0].GetProperty("at").GetDateTimeOffset(), Is.EqualTo(Start));
        var cashout = await Flag("cashout");
        Assert.That(cashout.GetProperty("killed").GetBoolean(), Is.False);
        Assert.That(cashout.TryGetProperty("kills", out _), Is.False, "no empty kills list is stored");
        var summary = unkill.Changes.Single(c => c.Key == "bonus-wheel").Summary;
        Assert.That(summary, Does.Contain("kills: −tag:payouts").And.Contain("still killed by flag (INC-A, bootstrap admin)"));
        Assert.That(unkill.Changes.Single(c => c.Key == "cashout").Summary, Is.EqualTo("killed: true → false"));
    }

    [Test]
    public async Task KillTag_RecordsTagSourceWithActorReasonAndTime()
    {
        var actorClient = new FlagAdmin.FlagAdminClient(_server.Channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + TestFlagServer.AdminKey);
            m.Add("flagkit-actor", "ops@example.com");
            return m;
        }));

        await actorClient.SetFlagStateAsync(new SetFlagStateRequest
        {
            Environment = Env, Change = FlagStateChange.Kill, Tag = "payouts", Options = new WriteOptions { Comment = "INC-B" },
        });

        var kill = (await Flag("cashout")).GetProperty("kills")[0];
        Assert.That(kill.GetProperty("source").GetString(), Is.EqualTo("tag:payouts"));
        Assert.That(kill.GetProperty("by").GetString(), Is.EqualTo("ops@example.com (key bootstrap admin)"));
        Assert.That(kill.GetProperty("reason").GetString(), Is.EqualTo("INC-B"));
        Assert.That(kill.GetProperty("at").GetDateTimeOffset(), Is.EqualTo(Start));
    }

    [Test]
    public async Task UnkillIncident_WithoutKeyOrTag_LiftsThatIncidentOnly()
    {
        await State(FlagStateChange.Kill, tag: "payouts", incident: "INC-7");
        await State(FlagStateChange.Kill, key: "cashout", comment: "own reasons");

        await State(FlagStateChange.Unkill, incident: "INC-7");

        Assert.That((await Flag("bonus-wheel")).GetProperty("killed").GetBoolean(), Is.False);
        var cashout = await Flag("cashout");
        Assert.That(cashout.GetProperty("killed").GetBoolean(), Is.True);
        Assert.That(cashout.GetProperty("kills").EnumerateArray().Select(k => k.GetProperty("source").GetString()), Is.EqualTo(new[] { "flag" }));
    }

    [Test]
    public async Task UnkillAllSources_LiftsEveryKill()
    {
        await State(FlagStateChange.Kill, key: "cashout", comment: "A");
        await State(FlagStateChange.Kill, tag: "payouts", comment: "B");
        await State(FlagStateChange.Kill, key: "cashout", incident: "INC-9");

        await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Change = FlagStateChange.Unkill, Key = "cashout", AllSources = true });

        var cashout = await Flag("cashout");
        Assert.That(cashout.GetProperty("killed").GetBoolean(), Is.False);
        Assert.That(cashout.TryGetProperty("kills", out _), Is.False);
    }

    [Test]
    public async Task UnkillTag_KilledBeforeSourcesExisted_CountsAsTheFlagsOwnKill()
    {
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("old-kill", on: true, killed: true, tags: ["payouts"])));
        await State(FlagStateChange.Kill, tag: "payouts");

        await State(FlagStateChange.Unkill, tag: "payouts");
        Assert.That((await Flag("old-kill")).GetProperty("killed").GetBoolean(), Is.True, "the old kill is the flag's own");

        await State(FlagStateChange.Unkill, key: "old-kill");
        Assert.That((await Flag("old-kill")).GetProperty("killed").GetBoolean(), Is.False);
    }

    [Test]
    public async Task KillTag_FlagAlreadyKilled_SummaryNamesTheAddedSource()
    {
        await State(FlagStateChange.Kill, key: "cashout", comment: "own");

        var tag = await State(FlagStateChange.Kill, tag: "payouts", comment: "INC-B");

        Assert.That(tag.Changes.Single(c => c.Key == "cashout").Summary, Is.EqualTo("kills: +tag:payouts"));
        Assert.That(tag.Changes.Single(c => c.Key == "bonus-wheel").Summary, Is.EqualTo("killed: false → true"));
    }

    [Test]
    public async Task KillAgain_SameSource_KeepsTheFirstKillAndChangesNothing()
    {
        var first = await State(FlagStateChange.Kill, key: "cashout", comment: "first");
        _time.Advance(TimeSpan.FromMinutes(1));

        var second = await State(FlagStateChange.Kill, key: "cashout", comment: "second");

        Assert.That(second.Revision, Is.EqualTo(first.Revision));
        Assert.That((await Flag("cashout")).GetProperty("kills")[0].GetProperty("reason").GetString(), Is.EqualTo("first"));
    }

    [Test]
    public async Task PutDocument_KillsButKilledFalse_StoredKilledSoOlderSdksSeeIt()
    {
        var json = """{ "key": "k", "kind": "bool", "on": true, "killed": false, "kills": [ { "source": "incident:INC-1" } ], "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }""";

        await _server.Admin.PutDocumentAsync(Docs.Put(json));

        Assert.That((await Flag("k")).GetProperty("killed").GetBoolean(), Is.True);
    }

    [Test]
    public void Compile_KillsWithoutKilledBit_FlagServesOffVariantAsKilled()
    {
        var file = FlagJson.ParseFile(Encoding.UTF8.GetBytes("""
            { "schema": 1, "flags": [ { "key": "k", "kind": "bool", "on": true, "kills": [ { "source": "tag:payouts" } ],
              "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } } ] }
            """), "test");

        var snapshot = SnapshotBuilder.Build(file, 1);

        var evaluation = snapshot.Evaluate("k", null);
        Assert.That(evaluation.Reason, Is.EqualTo(EvaluationReason.Killed));
    }

    [TestCase("""[ { "source": "team:ops" } ]""", ".kills[0].source", "unknown kill source 'team:ops'")]
    [TestCase("""[ { "source": "tag:" } ]""", ".kills[0].source", "needs a name")]
    [TestCase("""[ { "source": "flag" }, { "source": "flag" } ]""", ".kills[1].source", "listed twice")]
    [TestCase("""[ null ]""", ".kills[0]", "expected a kill object")]
    public void PutDocument_BadKillSource_RefusedNamingThePath(string kills, string path, string message)
    {
        var json = $$"""{ "key": "k", "kind": "bool", "on": true, "kills": {{kills}}, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }""";

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.PutDocumentAsync(Docs.Put(json)));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain(path).And.Contain(message));
    }

    [Test]
    public void PutDocument_MoreThan64KillSources_Refused()
    {
        var kills = string.Join(", ", Enumerable.Range(0, KillSources.MaxSources + 1).Select(i => $$"""{ "source": "incident:I-{{i}}" }"""));
        var json = $$"""{ "key": "k", "kind": "bool", "on": true, "kills": [ {{kills}} ], "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }""";

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.PutDocumentAsync(Docs.Put(json)));

        Assert.That(error!.Status.Detail, Does.Contain(".kills").And.Contain("at most 64 kill sources, found 65"));
    }

    [Test]
    public void UnkillIncident_NoFlagHeldByIt_NotFound()
    {
        var error = Assert.ThrowsAsync<RpcException>(async () => await State(FlagStateChange.Unkill, incident: "INC-none"));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(error.Status.Detail, Does.Contain("INC-none"));
    }

    private Task<WriteResponse> State(FlagStateChange change, string key = "", string tag = "", string incident = "", string comment = "") =>
        _server.Admin.SetFlagStateAsync(new SetFlagStateRequest
        {
            Environment = Env, Change = change, Key = key, Tag = tag, Incident = incident, Options = new WriteOptions { Comment = comment },
        }).ResponseAsync;

    private async Task<JsonElement> Flag(string key)
    {
        var record = await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = key });
        using var document = JsonDocument.Parse(record.Json.Memory);
        return document.RootElement.Clone();
    }
}
