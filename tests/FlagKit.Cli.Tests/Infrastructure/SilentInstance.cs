using FlagKit.Server.Tests;

namespace FlagKit.Cli.Tests.Infrastructure;

/// <summary>
/// A deliberately stuck SDK instance, speaking the raw sync stream (the generated FlagSync client): it sends Hello,
/// acknowledges the first batch, then never acknowledges anything again — what <c>--wait</c> must time out on and
/// name. (A real SDK always acknowledges; this is the injected fault.)
/// </summary>
internal sealed class SilentInstance : IDisposable
{
    private readonly SyncStream _stream;

    private SilentInstance(SyncStream stream) => _stream = stream;

    /// <summary>Connects, and returns once the server has the first acknowledgement (so it lists as up to date).</summary>
    public static async Task<SilentInstance> ConnectAsync(TestEnvironment environment, string sdkKey, string id)
    {
        var stream = await SyncStream.OpenAsync(TestEnvironment.Server.CreateSyncClient(sdkKey), instanceId: id, environment: environment.Name);
        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();
        var revision = batch[^1].Transferred.Revision;
        await stream.AckAsync(revision);
        await environment.WaitUntilAckedAsync(id, revision);
        return new SilentInstance(stream);
    }

    public void Dispose() => _stream.Dispose();
}
