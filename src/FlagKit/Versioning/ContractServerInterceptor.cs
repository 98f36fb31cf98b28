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
/// Handlers may still write their own response headers: the answer is merged into them. When the handler does not,
/// the answer is sent before the first response message. Thread-safe; one instance serves every call.
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
        var call = Negotiate(context);
        var response = await continuation(request, call).ConfigureAwait(false);
        await call.EnsureAnswerSentAsync().ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc/>
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = Negotiate(context);
        var response = await continuation(requestStream, call).ConfigureAwait(false);
        await call.EnsureAnswerSentAsync().ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc/>
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = Negotiate(context);
        await continuation(request, new AnsweringStreamWriter<TResponse>(responseStream, call), call).ConfigureAwait(false);
        await call.EnsureAnswerSentAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = Negotiate(context);
        await continuation(requestStream, new AnsweringStreamWriter<TResponse>(responseStream, call), call).ConfigureAwait(false);
        await call.EnsureAnswerSentAsync().ConfigureAwait(false);
    }

    private NegotiatedServerCallContext Negotiate(ServerCallContext context)
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
        return NegotiatedServerCallContext.Wrap(context, entries);
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

    private sealed class AnsweringStreamWriter<T>(IServerStreamWriter<T> inner, NegotiatedServerCallContext call) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public async Task WriteAsync(T message)
        {
            await call.EnsureAnswerSentAsync().ConfigureAwait(false);
            await inner.WriteAsync(message).ConfigureAwait(false);
        }
    }
}
