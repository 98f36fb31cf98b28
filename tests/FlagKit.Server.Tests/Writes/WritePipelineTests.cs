using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Writes;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Server.Tests.Writes;

/// <summary>The write pipeline's steps: history operations, limits before the work, cancellation, the kill's short path.</summary>
[TestFixture]
public sealed class WritePipelineTests
{
    private const string Env = TestFlagServer.Environment;
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:MaxDocumentBytes"] = "16384" });

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task GetHistory_EachKindOfWrite_SaysWhatTheWriteWas()
    {
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true, tags: ["payouts"])));
        var ten = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag("b", 5)));
        await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Tag = "payouts", Change = FlagStateChange.Kill });
        // A kill by tag is lifted by the tag (the flag's own unkill would leave the tag's kill standing: kill sources).
        await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Tag = "payouts", Change = FlagStateChange.Unkill });
        await _server.Admin.SetRolloutAsync(new SetRolloutRequest { Environment = Env, Key = "b", Percent = 25, Variant = "on" });
        await _server.Admin.SetTargetsAsync(new SetTargetsRequest { Environment = Env, Key = "b", Variant = "on", Add = { "42", "43" } });
        await _server.Admin.RollbackAsync(new RollbackRequest { Environment = Env, Key = "b", ToRevision = ten.Revision });
        await _server.Admin.ArchiveDocumentAsync(new ArchiveDocumentRequest { Environment = Env, Kind = DocumentKind.Flag, Key = "b" });

        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env });

        Assert.That(history.Entries.Select(e => $"{e.Key}: {e.Operation}"), Is.EqualTo(new[]
        {
            "b: archived flag",
            "b: rolled back to revision " + ten.Revision.ToString(CultureInfo.InvariantCulture),
            "b: targets on: +2 −0",
            "b: rollout to 25 % on",
            "a: unkilled by tag payouts",
            "a: killed by tag payouts",
            "b: put flag",
            "a: put flag",
        }));
    }

    [Test]
    public async Task GetHistory_ApplyFile_SaysAppliedFile()
    {
        await _server.Admin.ApplyFileAsync(new ApplyFileRequest
        {
            Environment = Env,
            Prune = true,
            FileJson = ByteString.CopyFromUtf8($$"""{ "schema": 1, "flags": [ {{Docs.BoolFlag("f")}} ] }"""),
        });

        var history = await _server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = Env, Key = "f" });

        Assert.That(history.Entries.Single().Operation, Is.EqualTo("applied file (prune)"));
    }

    [Test]
    public async Task SetTargets_AddedIdsAloneOverDocumentLimit_RefusedNamingTheLimit()
    {
        var created = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("f")));
        var request = new SetTargetsRequest { Environment = Env, Key = "f", Variant = "on" };
        request.Add.AddRange(Enumerable.Range(0, 2_000).Select(i => "account-" + i.ToString("D6", CultureInfo.InvariantCulture)));

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.SetTargetsAsync(request))!;

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain("2000 account ids").And.Contain("16384").And.Contain("MaxDocumentBytes"));
        Assert.That((await _server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest())).Environments.Single().Revision, Is.EqualTo(created.Revision));
    }

    [Test]
    public async Task SetTargets_IdsMovedAndRemoved_EachIdOnceInItsVariant()
    {
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("f")));
        await _server.Admin.SetTargetsAsync(new SetTargetsRequest { Environment = Env, Key = "f", Variant = "off", Add = { "1", "2", "3", "3" } });

        await _server.Admin.SetTargetsAsync(new SetTargetsRequest { Environment = Env, Key = "f", Variant = "on", Add = { "2", "4", " " }, Remove = { "9" } });
        await _server.Admin.SetTargetsAsync(new SetTargetsRequest { Environment = Env, Key = "f", Variant = "off", Remove = { "1" } });

        var flag = await _server.Admin.GetFlagAsync(new GetDocumentRequest { Environment = Env, Key = "f" });
        using var json = System.Text.Json.JsonDocument.Parse(flag.Json.Memory);
        var targets = json.RootElement.GetProperty("targets");
        Assert.That(targets.GetProperty("on").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "2", "4" }));
        Assert.That(targets.GetProperty("off").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "3" }));
    }

    [Test]
    public async Task SetFlagState_Kill_ContentHashEqualsAFullCompile()
    {
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag("b", 30)));

        await _server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Env, Key = "a", Change = FlagStateChange.Kill });

        var state = _server.GetService<EnvironmentCatalog>().Get(Env);
        Assert.That(state.ContentHash, Is.EqualTo(DocumentCodec.Compile(state.ToFile(), state.Revision).ContentHash));
        Assert.That(state.Snapshot!.Revision, Is.EqualTo(state.Revision));
    }

    [Test]
    public async Task WriteAsync_CancelledBeforeTheWork_NothingCommitted()
    {
        var created = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("f")));
        var catalog = _server.GetService<EnvironmentCatalog>();
        var planned = 0;
        var command = new WriteCommand(Env, null, new CallerIdentity("k", "k", ApiKeyRole.Admin, null, "test"), "Test", "f", new ListEnvironmentsRequest(), Operation: "test");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        Assert.That(
            async () => await catalog.WriteAsync(command, _ => { planned++; return [DocumentEdit.Archive(DocumentKind.Flag, "f")]; }, cancelled.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(planned, Is.Zero);
        Assert.That(catalog.Get(Env).Revision, Is.EqualTo(created.Revision));
    }

    [Test]
    public async Task WriteAsync_LongWrite_PreparedOnALoweredThreadButCommittedOffIt()
    {
        // The preparation thread runs at nice +10 and cannot be raised again. The commit (under the environment's gate
        // and the store's writer lock) used to continue inline on it, so a kill waited for a thread the OS starves.
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("f")));
        var catalog = _server.GetService<EnvironmentCatalog>();
        var command = new WriteCommand(Env, null, new CallerIdentity("k", "k", ApiKeyRole.Admin, null, "test"), "Test", "f", new ListEnvironmentsRequest(), Operation: "test");
        bool? plannedOnPreparationThread = null;
        var committedOnPreparationThread = new List<bool>();
        Action<WriteCommand, IReadOnlyList<FlagKit.Server.Store.HistoryRecord>> onCommitted = (written, _) =>
        {
            if (written.Action == "Test")
            {
                committedOnPreparationThread.Add(PreparationThread.IsCurrent);
            }
        };
        catalog.Committed += onCommitted;
        try
        {
            await catalog.WriteAsync(
                command,
                _ =>
                {
                    plannedOnPreparationThread = PreparationThread.IsCurrent;
                    return [DocumentEdit.Archive(DocumentKind.Flag, "f")];
                },
                CancellationToken.None);
        }
        finally
        {
            catalog.Committed -= onCommitted;
        }

        Assert.That(plannedOnPreparationThread, Is.True, "planned on the lowered preparation thread");
        Assert.That(committedOnPreparationThread, Is.EqualTo(new[] { false }), "committed on a thread of normal priority");
    }

    [Test]
    public async Task WriteAsync_CancelledDuringThePlan_NothingCommitted()
    {
        var created = await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("f")));
        var catalog = _server.GetService<EnvironmentCatalog>();
        var command = new WriteCommand(Env, null, new CallerIdentity("k", "k", ApiKeyRole.Admin, null, "test"), "Test", "f", new ListEnvironmentsRequest(), Operation: "test");
        using var cancel = new CancellationTokenSource();

        Assert.That(
            async () => await catalog.WriteAsync(command, _ => { cancel.Cancel(); return [DocumentEdit.Archive(DocumentKind.Flag, "f")]; }, cancel.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(catalog.Get(Env).Revision, Is.EqualTo(created.Revision));
    }
}
