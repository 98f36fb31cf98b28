using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FlagKit.Versioning;

/// <summary>
/// A gRPC server interceptor that negotiates one contract on every call: it reads the client's offer from the
/// request metadata (<c>flagkit-offer-{contract}</c>), chooses a version (capped by the policy, if any), exposes
/// the result to the handler (<see cref="ContractGrpcExtensions.GetContract(ServerCallContext, string)"/>) and
/// answers in the response headers (<see cref="ContractWire.AnswerEntries"/>).
/// </summary>
/// <remarks>
/// <para>
/// A failed negotiation ends the call before the handler runs, with <see cref="StatusCode.FailedPrecondition"/>,
/// the result's message as the status detail, and the answer entries (what this server supports, and the
/// refusal code) in the trailers, so the client can retry without guessing.
/// </para>
/// <para>
/// The answer goes in the response headers, sent before the first response message (streaming) or with the
/// response (unary), and always in the trailers too. A handler that sends its own response headers first still
/// works: the answer then reaches the client in the trailers only. Thread-safe; one instance serves every call.
/// </para>
/// </remarks>
public sealed class ContractServerInterceptor : Interceptor
{
    private readonly ContractNegotiator _negotiator;
    private readonly Func<ServerCallContext, VersionRange?>? _policy;

    /// <summary>Creates the interceptor.</summary>
    /// <param name="negotiator">A server-side negotiator for the contract.</param>
    /// <param name="policy">
    /// Resolves the policy range for a call (for example from a policy flag, evaluated for the caller's context);
    /// null for none. It must not throw; if it does, the call is refused with <see cref="StatusCode.Internal"/>.
    /// </param>
    public ContractServerInterceptor(ContractNegotiator negotiator, Func<ServerCallContext, VersionRange?>? policy = null)
    {
        ArgumentNullException.ThrowIfNull(negotiator);
        if (negotiator.Side != ContractSide.Server)
        {
            throw new ArgumentException("The server interceptor needs a server-side negotiator.", nameof(negotiator));
        }

        _negotiator = negotiator;
        _policy = policy;
    }

    /// <inheritdoc/>
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var answer = Negotiate(context);
        var response = await continuation(request, context).ConfigureAwait(false);
        await answer.SendAsync().ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc/>
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var answer = Negotiate(context);
        var response = await continuation(requestStream, context).ConfigureAwait(false);
        await answer.SendAsync().ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc/>
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var answer = Negotiate(context);
        await continuation(request, new AnsweringStreamWriter<TResponse>(responseStream, answer), context).ConfigureAwait(false);
        await answer.SendAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var answer = Negotiate(context);
        await continuation(requestStream, new AnsweringStreamWriter<TResponse>(responseStream, answer), context).ConfigureAwait(false);
        await answer.SendAsync().ConfigureAwait(false);
    }

    private PendingAnswer Negotiate(ServerCallContext context)
    {
        var name = _negotiator.Contract.Name;
        var offer = ReadAll(context.RequestHeaders, ContractWire.OfferKey(name));
        VersionRange? policy;
        try
        {
            policy = _policy?.Invoke(context);
        }
        catch (Exception ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Contract '{name}': the policy for this call could not be resolved: {ex.Message}"));
        }

        var result = _negotiator.NegotiateOffer(offer, policy);
        using (var activity = VersioningTelemetry.StartActivity("flagkit.contract.negotiate", System.Diagnostics.ActivityKind.Server))
        {
            activity?.SetTag("flagkit.contract.name", name);
            activity?.SetTag("flagkit.contract.version", result.Chosen?.Text ?? "none");
            activity?.SetTag("flagkit.contract.outcome", ContractWire.FormatStatus(result.Status));
            activity?.SetTag("flagkit.contract.offered", offer);
        }

        var entries = ContractWire.AnswerEntries(result);
        if (!result.IsAgreed)
        {
            var trailers = new Metadata();
            foreach (var entry in entries)
            {
                trailers.Add(entry.Key, entry.Value);
            }

            throw new RpcException(new Status(StatusCode.FailedPrecondition, result.Message), trailers);
        }

        context.UserState[ContractGrpcExtensions.UserStateKey(name)] = result;

        // The trailers always carry the answer; the headers carry it too unless the handler sends its own first.
        foreach (var entry in entries)
        {
            context.ResponseTrailers.Add(entry.Key, entry.Value);
        }

        // Several contract interceptors on one call share one pending answer, so the headers carry all of them.
        if (context.UserState.TryGetValue(PendingAnswer.Key, out var existing) && existing is PendingAnswer pending)
        {
            pending.Add(entries);
            return pending;
        }

        pending = new PendingAnswer(context);
        pending.Add(entries);
        context.UserState[PendingAnswer.Key] = pending;
        return pending;
    }

    // A value sent as several entries (HTTP/2 allows repeating a header) is read as one comma-separated list.
    private static string? ReadAll(Metadata headers, string key)
    {
        string? value = null;
        foreach (var entry in headers)
        {
            if (!entry.IsBinary && string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                value = value is null ? entry.Value : value + "," + entry.Value;
            }
        }

        return value;
    }

    private sealed class AnsweringStreamWriter<T>(IServerStreamWriter<T> inner, PendingAnswer answer) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public async Task WriteAsync(T message)
        {
            await answer.SendAsync().ConfigureAwait(false);
            await inner.WriteAsync(message).ConfigureAwait(false);
        }
    }

    /// <summary>The answer entries of every contract negotiated on a call, sent once as response headers.</summary>
    private sealed class PendingAnswer(ServerCallContext context)
    {
        public static readonly object Key = new();

        private readonly List<KeyValuePair<string, string>> _entries = [];
        private int _sent;

        public void Add(IEnumerable<KeyValuePair<string, string>> entries)
        {
            lock (_entries)
            {
                _entries.AddRange(entries);
            }
        }

        public async Task SendAsync()
        {
            if (Interlocked.Exchange(ref _sent, 1) == 1)
            {
                return;
            }

            var headers = new Metadata();
            lock (_entries)
            {
                foreach (var entry in _entries)
                {
                    headers.Add(entry.Key, entry.Value);
                }
            }

            try
            {
                await context.WriteResponseHeadersAsync(headers).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // The handler sent its own response headers first; the trailers carry the answer.
            }
        }
    }
}
