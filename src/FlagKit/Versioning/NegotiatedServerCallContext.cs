using Grpc.Core;

namespace FlagKit.Versioning;

/// <summary>
/// Wraps a server call context so that the contract answer rides on the response headers whoever sends them:
/// the handler (merged into its headers) or the interceptor (before the first message or the response).
/// </summary>
/// <remarks>
/// Everything else is forwarded, including <see cref="ServerCallContext.UserState"/> (grpc-dotnet finds the
/// HttpContext through it, so <c>GetHttpContext()</c> keeps working). Several contract interceptors share one
/// wrapper: each adds its entries.
/// </remarks>
internal sealed class NegotiatedServerCallContext : ServerCallContext
{
    private readonly ServerCallContext _inner;
    private readonly List<KeyValuePair<string, string>> _answer = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _headersSent;

    private NegotiatedServerCallContext(ServerCallContext inner) => _inner = inner;

    public static NegotiatedServerCallContext Wrap(ServerCallContext context, IReadOnlyList<KeyValuePair<string, string>> entries)
    {
        var wrapper = context as NegotiatedServerCallContext ?? new NegotiatedServerCallContext(context);
        lock (wrapper._answer)
        {
            wrapper._answer.AddRange(entries);
        }

        return wrapper;
    }

    public async Task EnsureAnswerSentAsync()
    {
        if (Volatile.Read(ref _headersSent))
        {
            return;
        }

        await WriteResponseHeadersAsyncCore([]).ConfigureAwait(false);
    }

    protected override string MethodCore => _inner.Method;

    protected override string HostCore => _inner.Host;

    protected override string PeerCore => _inner.Peer;

    protected override DateTime DeadlineCore => _inner.Deadline;

    protected override Metadata RequestHeadersCore => _inner.RequestHeaders;

    protected override CancellationToken CancellationTokenCore => _inner.CancellationToken;

    protected override Metadata ResponseTrailersCore => _inner.ResponseTrailers;

    protected override Status StatusCore
    {
        get => _inner.Status;
        set => _inner.Status = value;
    }

    protected override WriteOptions? WriteOptionsCore
    {
        get => _inner.WriteOptions;
        set => _inner.WriteOptions = value;
    }

    protected override AuthContext AuthContextCore => _inner.AuthContext;

    protected override IDictionary<object, object> UserStateCore => _inner.UserState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        _inner.CreatePropagationToken(options);

    protected override async Task WriteResponseHeadersAsyncCore(Metadata responseHeaders)
    {
        await _gate.WaitAsync(_inner.CancellationToken).ConfigureAwait(false);
        try
        {
            if (_headersSent)
            {
                // The handler sends its headers a second time: let the runtime report its usual error.
                await _inner.WriteResponseHeadersAsync(responseHeaders).ConfigureAwait(false);
                return;
            }

            lock (_answer)
            {
                foreach (var entry in _answer)
                {
                    if (responseHeaders.Get(entry.Key) is null)
                    {
                        responseHeaders.Add(entry.Key, entry.Value);
                    }
                }
            }

            await _inner.WriteResponseHeadersAsync(responseHeaders).ConfigureAwait(false);
            Volatile.Write(ref _headersSent, true);
        }
        finally
        {
            _gate.Release();
        }
    }
}
