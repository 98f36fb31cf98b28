using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Google.Protobuf;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// The SDK's side of operating modes against a scripted server: an older server that sends none, a bad mode document
/// (refused, the last good modes serve on), and modes arriving in the middle of a batch.
/// </summary>
public sealed class ModeScriptedSyncTests
{
    private readonly List<IAsyncDisposable> _disposables = [];

    [TearDown]
    public async Task TearDown()
    {
        foreach (var d in Enumerable.Reverse(_disposables))
        {
            await d.DisposeAsync();
        }

        _disposables.Clear();
    }

    [Test]
    public async Task OlderServer_WithoutModes_SdkIsReadyAndNormal()
    {
        var server = await StartAsync(async s =>
        {
            await s.WelcomeAsync(2);
            await s.SendAsync(Snapshot(2));
            await s.TransferredAsync(2);
            await s.ReadAckAsync();
            await s.HoldAsync();
        });

        var client = await ConnectAsync(server);
        var hello = await server.Hellos.Reader.ReadAsync().AsTask().WithDeadline("the hello");

        Assert.That(hello.ModeSchemaVersions, Is.EqualTo(new[] { 1 }));
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.IsEnabled("a"), Is.True);
        Assert.That(client.IsReadOnly(), Is.False);
        Assert.That(client.GetMode().Mode, Is.EqualTo(OperatingMode.Normal));
    }

    [Test]
    public async Task BadModeDocument_IsRefusedAndTheLastGoodModesServeOn()
    {
        var badSent = new TaskCompletionSource();
        var server = await StartAsync(async s =>
        {
            await s.SendAsync(WelcomeWith(1, Modes(1, """{"schema":1,"switches":[{"id":"a","mode":"read-only"}]}""")));
            await s.SendAsync(Snapshot(1));
            await s.TransferredAsync(1);
            await s.ReadAckAsync();
            await s.SendAsync(new SyncResponse { Mode = Modes(2, """{"schema":1,"switches":[{"id":"a","mode":"closed"}]}""") });
            await s.SendAsync(new SyncResponse { Mode = Modes(3, """{"schema":1,"switches":[""") });
            badSent.SetResult();
            await s.HoldAsync();
        });

        var client = await ConnectAsync(server);
        await badSent.Task.WaitAsync(SyncWait.Deadline);
        await Task.Delay(200);

        Assert.That(client.IsReadOnly(), Is.True);
        Assert.That(client.Modes.Version, Is.EqualTo(1));
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
    }

    [Test]
    public async Task ModesBetweenTheMessagesOfABatch_AreAppliedAtOnceAndTheBatchStillCompletes()
    {
        var modeSent = new TaskCompletionSource();
        var finish = new TaskCompletionSource();
        var server = await StartAsync(async s =>
        {
            await s.WelcomeAsync(1);
            await s.SendAsync(Snapshot(1));
            await s.TransferredAsync(1);
            await s.ReadAckAsync();
            await s.SendAsync(new SyncResponse { Delta = new Delta { FromRevision = 1, ToRevision = 2, Upserts = { GrpcFlagSourceTests.Flag("b", on: true) } } });
            await s.SendAsync(new SyncResponse { Mode = Modes(1, """{"schema":1,"switches":[{"id":"a","mode":"maintenance"}]}""") });
            modeSent.SetResult();
            await finish.Task;
            await s.TransferredAsync(2);
            await s.ReadAckAsync();
            await s.HoldAsync();
        });

        var client = await ConnectAsync(server);
        await modeSent.Task.WaitAsync(SyncWait.Deadline);
        await SyncWait.UntilAsync(() => client.GetMode().Mode == OperatingMode.Maintenance, "the mode in the middle of the batch");

        Assert.That(client.IsEnabled("b"), Is.False, "the batch is not complete yet");
        finish.SetResult();
        await SyncWait.UntilAsync(() => client.IsEnabled("b"), "the batch to complete");
        Assert.That(client.GetMode().Mode, Is.EqualTo(OperatingMode.Maintenance));
    }

    private static SyncResponse Snapshot(long revision) =>
        new() { Snapshot = new Snapshot { Revision = revision, Documents = { GrpcFlagSourceTests.Flag("a", on: true) } } };

    private static ModeState Modes(long version, string json) => new() { Version = version, Json = ByteString.CopyFromUtf8(json) };

    private static SyncResponse WelcomeWith(long revision, ModeState modes) => new()
    {
        Welcome = new Welcome { ProtocolVersion = 1, SchemaVersion = 1, ServerId = "scripted", ServerRevision = revision, Environment = "production", Mode = modes },
    };

    private async Task<ScriptedSyncServer> StartAsync(Func<ScriptedSyncSession, Task> script)
    {
        var server = await ScriptedSyncServer.StartAsync(script);
        _disposables.Add(server);
        return server;
    }

    private async Task<FlagClient> ConnectAsync(ScriptedSyncServer server)
    {
        var client = new FlagClient(new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = server.Url, ApiKey = "sdk-test-key", Environment = "production",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20), ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        }));
        _disposables.Add(client);
        await client.StartAsync();
        await client.WaitUntilReadyAsync().WaitAsync(SyncWait.Deadline);
        return client;
    }
}
