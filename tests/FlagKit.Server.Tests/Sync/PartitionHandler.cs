namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// A deliberately injected network partition between one SDK and the server: while <see cref="Partitioned"/> is set,
/// every new request (a reconnect) that reaches the HTTP layer fails as if the network were down. A stream already
/// open is not touched. (While the server itself is down, attempts fail earlier, at the channel's connect, and never
/// reach this handler.)
/// </summary>
internal sealed class PartitionHandler() : DelegatingHandler(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
{
    private volatile bool _partitioned;
    private int _refused;

    public bool Partitioned
    {
        get => _partitioned;
        set => _partitioned = value;
    }

    /// <summary>Requests refused so far.</summary>
    public int Refused => Volatile.Read(ref _refused);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_partitioned)
        {
            Interlocked.Increment(ref _refused);
            throw new HttpRequestException("network partition injected by the test");
        }

        return base.SendAsync(request, cancellationToken);
    }
}
