using FlagKit.Protocol.V1;
using Grpc.Core;

namespace FlagKit.Sources;

/// <summary>
/// One stream's request writer shared by the Acks and the telemetry sender: gRPC allows one write at a time, so
/// writes wait for each other here.
/// </summary>
internal sealed class GrpcSerialWriter(IClientStreamWriter<SyncRequest> inner) : IClientStreamWriter<SyncRequest>, IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <inheritdoc/>
    public Grpc.Core.WriteOptions? WriteOptions
    {
        get => inner.WriteOptions;
        set => inner.WriteOptions = value;
    }

    /// <inheritdoc/>
    public Task CompleteAsync() => inner.CompleteAsync();

    /// <inheritdoc/>
    public Task WriteAsync(SyncRequest message) => WriteAsync(message, CancellationToken.None);

    /// <inheritdoc/>
    public async Task WriteAsync(SyncRequest message, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await inner.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _one.Dispose();
}
