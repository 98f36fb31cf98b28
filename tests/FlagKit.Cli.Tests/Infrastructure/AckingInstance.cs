using FlagKit.Server.Tests;
using Grpc.Core;

namespace FlagKit.Cli.Tests.Infrastructure;

/// <summary>
/// A connected SDK instance speaking the real sync stream (the generated FlagSync client): it sends Hello, then
/// acknowledges every batch it receives — or, when <c>acknowledges</c> is false, never acknowledges anything after
/// the first batch (a stuck instance, for <c>--wait</c> timeouts).
/// </summary>
internal sealed class AckingInstance : IAsyncDisposable
{
    private readonly SyncStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private AckingInstance(SyncStream stream, bool acknowledges, string id)
    {
        _stream = stream;
        Id = id;
        _loop = Task.Run(() => RunAsync(acknowledges));
    }

    public string Id { get; }

    /// <summary>Connects and waits until the first batch is acknowledged (so it shows as up to date).</summary>
    public static async Task<AckingInstance> ConnectAsync(TestEnvironment environment, string sdkKey, string id, bool acknowledges = true)
    {
        var client = TestEnvironment.Server.CreateSyncClient(sdkKey);
        var stream = await SyncStream.OpenAsync(client, instanceId: id, environment: environment.Name);
        var (_, batch) = await stream.ReadWelcomeAndFirstBatchAsync();
        await stream.AckAsync(batch[^1].Transferred.Revision);
        return new AckingInstance(stream, acknowledges, id);
    }

    private async Task RunAsync(bool acknowledges)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var batch = await _stream.ReadBatchAsync(Timeout.InfiniteTimeSpan);
                if (acknowledges)
                {
                    await _stream.AckAsync(batch[^1].Transferred.Revision);
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // The stream ended: the test is over (or the server went away).
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stream.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
