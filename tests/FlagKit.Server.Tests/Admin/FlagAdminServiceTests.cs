using System.Text.Json;
using FlagKit.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Server.Tests.Admin;

public sealed class FlagAdminServiceTests
{
    private const string Env = TestFlagServer.Environment;
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await TestFlagServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task PutDocument_NewFlag_CommitsOneRevisionAndHistoryRow()
    {
        var before = await Revision();

        var response = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("new-bonus-engine"), comment: "launch prep"));

        Assert.That(response.PreviousRevision, Is.EqualTo(before));
        Assert.That(response.Revision, Is.EqualTo(before + 1));
        Assert.That(response.Changes.Single().Action, Is.EqualTo("created"));
        var record = await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = "new-bonus-engine" });
        Assert.That(record.Version, Is.EqualTo(1));
        Assert.That(record.Revision, Is.EqualTo(before + 1));
        Assert.That(JsonDocument.Parse(record.Json.Memory).RootElement.GetProperty("version").GetInt64(), Is.EqualTo(1));
        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "new-bonus-engine" });
        Assert.That(history.Entries, Has.Count.EqualTo(1));
        Assert.That(history.Entries[0].Revision, Is.EqualTo(before + 1));
        Assert.That(history.Entries[0].Author, Is.EqualTo("bootstrap admin"));
        Assert.That(history.Entries[0].Comment, Is.EqualTo("launch prep"));
        Assert.That(history.Entries[0].BeforeJson.IsEmpty, Is.True);
        Assert.That(history.Entries[0].AfterJson, Is.EqualTo(record.Json));
    }

    [Test]
    public async Task PutDocument_SameContentAgain_IsNoOpWithoutNewRevision()
    {
        var first = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("f")));

        var second = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("f")));

        Assert.That(second.Revision, Is.EqualTo(first.Revision));
        Assert.That(second.Changes.Single().Action, Is.EqualTo("unchanged"));
    }

    [Test]
    public async Task PutDocument_StaleExpectedRevision_RefusedNamingBothRevisions()
    {
        var first = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a")));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("b")));

        var error = Assert.ThrowsAsync<RpcException>(async () =>
            await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true), expectedRevision: first.Revision)));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(error.Status.Detail, Does.Contain($"expected revision {first.Revision}").And.Contain($"at revision {first.Revision + 1}"));
        var flag = await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = "a" });
        Assert.That(flag.Version, Is.EqualTo(1), "nothing merged");
    }

    [Test]
    public async Task PutDocument_CurrentExpectedRevision_Commits()
    {
        var revision = await Revision();

        var response = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a"), expectedRevision: revision));

        Assert.That(response.Revision, Is.EqualTo(revision + 1));
    }

    [Test]
    public async Task PutDocument_RetriedWithSameIdempotencyKey_AppliedOnceAndAnsweredAsFirst()
    {
        var request = Docs.Put(Docs.BoolFlag("idem", on: true), idempotencyKey: "retry-1");
        var first = await _server.Admin.PutDocumentAsync(request);
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("other")));

        var retry = await _server.Admin.PutDocumentAsync(request);

        Assert.That(first.Replayed, Is.False);
        Assert.That(retry.Replayed, Is.True);
        Assert.That(retry.Revision, Is.EqualTo(first.Revision));
        Assert.That(retry.Changes, Is.EqualTo(first.Changes));
        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "idem" });
        Assert.That(history.Entries, Has.Count.EqualTo(1), "applied once");
    }

    [Test]
    public async Task PutDocument_IdempotencyKeyReusedForAnotherRequest_Refused()
    {
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("x"), idempotencyKey: "k"));

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("y"), idempotencyKey: "k")));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(error.Status.Detail, Does.Contain("'k'").And.Contain("different request"));
    }

    [Test]
    public async Task PutDocument_InvalidFlag_RefusedWithCompilerMessageAndNothingCommitted()
    {
        var revision = await Revision();

        var error = Assert.ThrowsAsync<RpcException>(async () =>
            await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("broken", offVariant: "nope"))));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain("flag 'broken'").And.Contain("offVariant").And.Contain("nope"));
        Assert.That(await Revision(), Is.EqualTo(revision));
        var get = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = "broken" }));
        Assert.That(get!.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task PutDocument_MalformedJson_RefusedWithParserMessage()
    {
        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.PutDocumentAsync(Docs.Put("""{ "key": "k", "on": "yes" }""")));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain("$.on"));
    }

    [Test]
    public async Task SetFlagState_KillByTag_OneRevisionKillsEveryTaggedFlag()
    {
        await Put(Docs.BoolFlag("wallet-a", on: true, tags: ["wallet"]));
        await Put(Docs.BoolFlag("wallet-b", on: true, tags: ["wallet", "payments"]));
        await Put(Docs.BoolFlag("lobby", on: true, tags: ["lobby"]));
        var revision = await Revision();

        var response = await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Tag = "wallet", Change = FlagStateChange.Kill });

        Assert.That(response.Revision, Is.EqualTo(revision + 1));
        Assert.That(response.Changes.Select(c => (c.Key, c.Summary)), Is.EquivalentTo(new[] { ("wallet-a", "killed: false → true"), ("wallet-b", "killed: false → true") }));
        var killed = await _server.Admin.ListFlagsAsync(new ListFlagsRequest { Environment = Env, State = FlagStateFilter.Killed });
        Assert.That(killed.Flags.Select(f => f.Key), Is.EquivalentTo(new[] { "wallet-a", "wallet-b" }));
        Assert.That(killed.Flags.Select(f => f.Revision), Is.All.EqualTo(revision + 1));
    }

    [Test]
    public async Task SetFlagState_EnableOneFlag_SummaryNamesTheSwitch()
    {
        await Put(Docs.BoolFlag("f", on: false));

        var response = await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Key = "f", Change = FlagStateChange.Enable });

        Assert.That(response.Changes.Single().Summary, Is.EqualTo("on: false → true"));
    }

    [Test]
    public void SetFlagState_UnknownTag_NotFound()
    {
        var error = Assert.ThrowsAsync<RpcException>(async () =>
            await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Tag = "nothing", Change = FlagStateChange.Kill }));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task SetRollout_Percent_KeepsOrderAndSummarizesSplit()
    {
        await Put(Docs.SplitFlag("ramp", 5));

        var response = await _server.Admin.SetRolloutAsync(new SetRolloutRequest { Environment = Env, Key = "ramp", Percent = 25, Variant = "on" });

        Assert.That(response.Changes.Single().Summary, Is.EqualTo("split default: on 5% → 25%"));
        var json = JsonDocument.Parse(response.Changes.Single().AfterJson.Memory).RootElement;
        var variants = json.GetProperty("defaultRule").GetProperty("split").GetProperty("variants");
        Assert.That(variants[0].GetProperty("variant").GetString(), Is.EqualTo("on"));
        Assert.That(variants[0].GetProperty("weight").GetDouble(), Is.EqualTo(25));
        Assert.That(variants[1].GetProperty("weight").GetDouble(), Is.EqualTo(75));
    }

    [Test]
    public async Task SetRollout_FromFixedVariant_CreatesSplit()
    {
        await Put(Docs.BoolFlag("f", on: true, defaultVariant: "off"));

        var response = await _server.Admin.SetRolloutAsync(new SetRolloutRequest { Environment = Env, Key = "f", Percent = 10 });

        Assert.That(response.Changes.Single().Summary, Is.EqualTo("default: off → split on 10%, off 90%"));
    }

    [Test]
    public async Task SetRollout_WeightsNotSummingTo100_Refused()
    {
        await Put(Docs.SplitFlag("ramp", 5));
        var request = new SetRolloutRequest { Environment = Env, Key = "ramp" };
        request.Weights.Add(new VariantWeight { Variant = "on", Weight = 30 });
        request.Weights.Add(new VariantWeight { Variant = "off", Weight = 30 });

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.SetRolloutAsync(request));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain("60"));
    }

    [Test]
    public async Task SetTargets_AddAndRemove_MovesIdsBetweenVariants()
    {
        await Put(Docs.BoolFlag("f", on: true));
        var add = new SetTargetsRequest { Environment = Env, Key = "f", Variant = "off" };
        add.Add.Add(["acct-1", "acct-2"]);
        await _server.Admin.SetTargetsAsync(add);
        var move = new SetTargetsRequest { Environment = Env, Key = "f", Variant = "on" };
        move.Add.Add("acct-1");

        var response = await _server.Admin.SetTargetsAsync(move);

        Assert.That(response.Changes.Single().Summary, Is.EqualTo("targets off: +0 −1; targets on: +1 −0"));
        var targets = JsonDocument.Parse(response.Changes.Single().AfterJson.Memory).RootElement.GetProperty("targets");
        Assert.That(targets.GetProperty("on").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "acct-1" }));
        Assert.That(targets.GetProperty("off").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "acct-2" }));
    }

    [Test]
    public async Task ArchiveDocument_Flag_GoneFromListsKeptInHistory()
    {
        await Put(Docs.BoolFlag("old"));

        var response = await _server.Admin.ArchiveDocumentAsync(new ArchiveDocumentRequest { Environment = Env, Kind = DocumentKind.Flag, Key = "old" });

        Assert.That(response.Changes.Single().Action, Is.EqualTo("archived"));
        var flags = await _server.Admin.ListFlagsAsync(new ListFlagsRequest { Environment = Env });
        Assert.That(flags.Flags.Select(f => f.Key), Does.Not.Contain("old"));
        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "old" });
        Assert.That(history.Entries.Select(e => e.Action), Is.EqualTo(new[] { "archived", "created" }));
    }

    [Test]
    public async Task PutDocument_AfterArchive_RecreatesWithRisingVersion()
    {
        await Put(Docs.BoolFlag("again"));
        await _server.Admin.ArchiveDocumentAsync(new ArchiveDocumentRequest { Environment = Env, Kind = DocumentKind.Flag, Key = "again" });

        var response = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("again")));

        Assert.That(response.Changes.Single().Action, Is.EqualTo("created"));
        var record = await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = "again" });
        Assert.That(record.Version, Is.EqualTo(2));
    }

    [Test]
    public async Task Rollback_WholeEnvironment_WritesNewRevisionEqualToOldState()
    {
        await Put(Docs.BoolFlag("a", on: false));
        var good = await Revision();
        await Put(Docs.BoolFlag("a", on: true));
        await Put(Docs.BoolFlag("b"));
        var exportAtGood = await ExportFlags(good);

        var response = await _server.Admin.RollbackAsync(new RollbackRequest { Environment = Env, ToRevision = good });

        Assert.That(response.Revision, Is.EqualTo(good + 3));
        Assert.That(response.Changes.Where(c => c.Action != "unchanged").Select(c => (c.Key, c.Action)),
            Is.EquivalentTo(new[] { ("a", "updated"), ("b", "archived") }));
        var flags = await _server.Admin.ListFlagsAsync(new ListFlagsRequest { Environment = Env });
        Assert.That(flags.Flags.Select(f => f.Key), Is.EqualTo(new[] { "a" }));
        Assert.That(JsonDocument.Parse(flags.Flags[0].Json.Memory).RootElement.GetProperty("on").GetBoolean(), Is.False);
        Assert.That(flags.Flags[0].Version, Is.EqualTo(3), "versions only rise");
        Assert.That(exportAtGood, Is.EqualTo(new[] { ("a", false) }));
    }

    [Test]
    public async Task Rollback_OneFlag_LeavesOthersAlone()
    {
        await Put(Docs.BoolFlag("a", on: false));
        var good = await Revision();
        await Put(Docs.BoolFlag("a", on: true));
        await Put(Docs.BoolFlag("b", on: true));

        var response = await _server.Admin.RollbackAsync(new RollbackRequest { Environment = Env, Key = "a", ToRevision = good });

        Assert.That(response.Changes.Single().Summary, Is.EqualTo("on: true → false"));
        var flags = await _server.Admin.ListFlagsAsync(new ListFlagsRequest { Environment = Env, State = FlagStateFilter.On });
        Assert.That(flags.Flags.Select(f => f.Key), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public async Task ApplyFile_DryRun_AnswersChangesWithoutCommitting()
    {
        await Put(Docs.BoolFlag("keep"));
        await Put(Docs.BoolFlag("drop"));
        var revision = await Revision();
        var file = $$"""{ "schema": 1, "flags": [ {{Docs.BoolFlag("keep", on: true)}}, {{Docs.BoolFlag("new")}} ], "segments": [ {{Docs.Segment("vip", "acct-1")}} ] }""";

        var dry = await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = Env, FileJson = ByteString.CopyFromUtf8(file), DryRun = true, Prune = true });

        Assert.That(dry.DryRun, Is.True);
        Assert.That(dry.Revision, Is.EqualTo(revision));
        Assert.That(dry.Changes.Select(c => (c.Key, c.Action)), Is.EquivalentTo(new[] { ("vip", "created"), ("keep", "updated"), ("new", "created"), ("drop", "archived") }));
        Assert.That(await Revision(), Is.EqualTo(revision));

        var real = await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = Env, FileJson = ByteString.CopyFromUtf8(file), Prune = true });

        Assert.That(real.Revision, Is.EqualTo(revision + 1));
        var export = await _server.Admin.ExportFileAsync(new ExportFileRequest { Environment = Env });
        var exported = JsonDocument.Parse(export.FileJson.Memory).RootElement;
        Assert.That(exported.GetProperty("flags").EnumerateArray().Select(f => f.GetProperty("key").GetString()), Is.EqualTo(new[] { "keep", "new" }));
        Assert.That(exported.GetProperty("segments").EnumerateArray().Select(f => f.GetProperty("key").GetString()), Is.EqualTo(new[] { "vip" }));
    }

    [Test]
    public async Task CreateEnvironment_NewName_StartsAtRevisionZero()
    {
        var info = await _server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = "staging" });

        Assert.That(info.Revision, Is.Zero);
        var list = await _server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest());
        Assert.That(list.Environments.Select(e => e.Name), Is.EqualTo(new[] { "production", "staging" }));
        var again = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = "staging" }));
        Assert.That(again!.StatusCode, Is.EqualTo(StatusCode.AlreadyExists));
    }

    [Test]
    public async Task GetAudit_AfterWrites_ListsActorActionAndRevision()
    {
        var write = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a"), comment: "why"));

        var audit = await _server.Admin.GetAuditAsync(new GetAuditRequest { Environment = Env, Limit = 5 });

        var newest = audit.Entries[0];
        Assert.That((newest.Action, newest.Actor, newest.Target, newest.Revision), Is.EqualTo(("PutDocument", "bootstrap admin", "a", write.Revision)));
        Assert.That(newest.Detail, Does.StartWith("why"));
    }

    [Test]
    public async Task CreateApiKey_Sdk_SecretShownOnceAndListedByPrefix()
    {
        var created = await _server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "game-servers", Role = ApiKeyRole.Sdk, Environment = Env });

        Assert.That(created.Secret, Does.StartWith("fk_sdk_"));
        var keys = await _server.Admin.ListApiKeysAsync(new ListApiKeysRequest());
        var listed = keys.Keys.Single(k => k.Id == created.Key.Id);
        Assert.That(created.Secret, Does.StartWith(listed.Prefix.TrimEnd('…')));
        Assert.That(keys.ToString(), Does.Not.Contain(created.Secret));
    }

    [Test]
    public async Task RevokeApiKey_LastAdminKey_Refused()
    {
        var keys = await _server.Admin.ListApiKeysAsync(new ListApiKeysRequest());
        var admin = keys.Keys.Single(k => k.Role == ApiKeyRole.Admin);

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = admin.Id }));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
    }

    private async Task Put(string json) => await _server.Admin.PutDocumentAsync(Docs.Put(json));

    private async Task<long> Revision() =>
        (await _server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest())).Environments.Single(e => e.Name == Env).Revision;

    private async Task<(string, bool)[]> ExportFlags(long revision)
    {
        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, BeforeRevision = revision + 1 });
        return history.Entries.GroupBy(e => e.Key).Select(g => g.First())
            .Where(e => !e.AfterJson.IsEmpty)
            .Select(e => (e.Key, JsonDocument.Parse(e.AfterJson.Memory).RootElement.GetProperty("on").GetBoolean()))
            .ToArray();
    }
}
