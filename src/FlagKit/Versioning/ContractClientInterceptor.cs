using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FlagKit.Versioning;

/// <summary>
/// A gRPC client interceptor that offers one contract's versions on every call
/// (<c>flagkit-offer-{contract}</c> metadata), reads the server's answer and exposes it to the caller
/// (<see cref="ContractGrpcExtensions.GetContractAsync{TResponse}(AsyncUnaryCall{TResponse}, string)"/> and the
/// optional <c>onAnswer</c> callback), counting every outcome.
/// </summary>
/// <remarks>
/// <para>
/// The offer is what this side serves, capped by the policy for the call (for a canary: a policy flag that
/// admits the new version for some callers only). When the policy admits nothing, the call is not sent: it fails
/// with <see cref="StatusCode.FailedPrecondition"/> and a <see cref="NegotiationStatus.PolicyExcludedAll"/> answer.
/// </para>
/// <para>
/// A refusal by the server arrives as <see cref="StatusCode.FailedPrecondition"/>; its answer (with what the
/// server supports) is read from the trailers. Blocking unary calls send the offer but cannot see response
/// headers, so for them the answer is reported only when the call is refused. Thread-safe.
/// </para>
/// </remarks>
public sealed class ContractClientInterceptor : Interceptor
{
    private readonly ContractNegotiator _negotiator;
    private readonly Func<CallOptions, VersionRange?>? _policy;
    private readonly Action<NegotiationResult>? _onAnswer;

    /// <summary>Creates the interceptor.</summary>
    /// <param name="negotiator">A client-side negotiator for the contract.</param>
    /// <param name="policy">
    /// Resolves the policy range for a call from its options (headers, or an ambient context the caller closes
    /// over); null for none.
    /// </param>
    /// <param name="onAnswer">Called with every answer (also for blocking calls that were refused); exceptions it throws are ignored.</param>
    public ContractClientInterceptor(ContractNegotiator negotiator, Func<CallOptions, VersionRange?>? policy = null, Action<NegotiationResult>? onAnswer = null)
    {
        ArgumentNullException.ThrowIfNull(negotiator);
        if (negotiator.Side != ContractSide.Client)
        {
            throw new ArgumentException("The client interceptor needs a client-side negotiator.", nameof(negotiator));
        }

        _negotiator = negotiator;
        _policy = policy;
        _onAnswer = onAnswer;
    }

    /// <inheritdoc/>
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (!TryPrepare(context, out var offered, out var policy, out var refused, out var next))
        {
            var wrappedRefusal = new AsyncUnaryCall<TResponse>(
                Task.FromException<TResponse>(refused.Exception), Task.FromResult(new Metadata()), () => refused.Exception.Status, () => [], static () => { });
            ContractGrpcExtensions.Register(wrappedRefusal, wrappedRefusal, _negotiator.Contract.Name, Task.FromResult(refused.Result));
            return wrappedRefusal;
        }

        var call = continuation(request, next);
        var answer = ReadAnswerAsync(call.ResponseHeadersAsync, call.ResponseAsync, call.GetTrailers, offered, policy);
        var wrapped = new AsyncUnaryCall<TResponse>(call.ResponseAsync, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        ContractGrpcExtensions.Register(wrapped, call, _negotiator.Contract.Name, answer);
        return wrapped;
    }

    /// <inheritdoc/>
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        if (!TryPrepare(context, out var offered, out var policy, out var refused, out var next))
        {
            var wrappedRefusal = new AsyncServerStreamingCall<TResponse>(
                new FailedStreamReader<TResponse>(refused.Exception), Task.FromResult(new Metadata()), () => refused.Exception.Status, () => [], static () => { });
            ContractGrpcExtensions.Register(wrappedRefusal, wrappedRefusal, _negotiator.Contract.Name, Task.FromResult(refused.Result));
            return wrappedRefusal;
        }

        var call = continuation(request, next);
        var answer = ReadAnswerAsync(call.ResponseHeadersAsync, null, call.GetTrailers, offered, policy);
        var wrapped = new AsyncServerStreamingCall<TResponse>(call.ResponseStream, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        ContractGrpcExtensions.Register(wrapped, call, _negotiator.Contract.Name, answer);
        return wrapped;
    }

    /// <inheritdoc/>
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        if (!TryPrepare(context, out var offered, out var policy, out var refused, out var next))
        {
            var wrappedRefusal = new AsyncClientStreamingCall<TRequest, TResponse>(
                new FailedStreamWriter<TRequest>(refused.Exception), Task.FromException<TResponse>(refused.Exception), Task.FromResult(new Metadata()),
                () => refused.Exception.Status, () => [], static () => { });
            ContractGrpcExtensions.Register(wrappedRefusal, wrappedRefusal, _negotiator.Contract.Name, Task.FromResult(refused.Result));
            return wrappedRefusal;
        }

        var call = continuation(next);
        var answer = ReadAnswerAsync(call.ResponseHeadersAsync, call.ResponseAsync, call.GetTrailers, offered, policy);
        var wrapped = new AsyncClientStreamingCall<TRequest, TResponse>(call.RequestStream, call.ResponseAsync, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        ContractGrpcExtensions.Register(wrapped, call, _negotiator.Contract.Name, answer);
        return wrapped;
    }

    /// <inheritdoc/>
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        if (!TryPrepare(context, out var offered, out var policy, out var refused, out var next))
        {
            var wrappedRefusal = new AsyncDuplexStreamingCall<TRequest, TResponse>(
                new FailedStreamWriter<TRequest>(refused.Exception), new FailedStreamReader<TResponse>(refused.Exception), Task.FromResult(new Metadata()),
                () => refused.Exception.Status, () => [], static () => { });
            ContractGrpcExtensions.Register(wrappedRefusal, wrappedRefusal, _negotiator.Contract.Name, Task.FromResult(refused.Result));
            return wrappedRefusal;
        }

        var call = continuation(next);
        var answer = ReadAnswerAsync(call.ResponseHeadersAsync, null, call.GetTrailers, offered, policy);
        var wrapped = new AsyncDuplexStreamingCall<TRequest, TResponse>(call.RequestStream, call.ResponseStream, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        ContractGrpcExtensions.Register(wrapped, call, _negotiator.Contract.Name, answer);
        return wrapped;
    }

    /// <inheritdoc/>
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (!TryPrepare(context, out var offered, out var policy, out var refused, out var next))
        {
            Report(refused.Result);
            throw refused.Exception;
        }

        try
        {
            return continuation(request, next);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition && HasAnswer(ex.Trailers))
        {
            Report(_negotiator.ReadAnswer(offered, policy, key => ex.Trailers.GetValue(key)));
            throw;
        }
    }

    private bool TryPrepare<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context,
        out IReadOnlyList<SemanticVersion> offered,
        out VersionRange? policy,
        out (NegotiationResult Result, RpcException Exception) refused,
        out ClientInterceptorContext<TRequest, TResponse> next)
        where TRequest : class
        where TResponse : class
    {
        policy = _policy?.Invoke(context.Options);
        offered = _negotiator.Offer(policy);
        if (offered.Count == 0 && policy is not null)
        {
            var result = _negotiator.RefuseLocally(policy);
            refused = (result, new RpcException(new Status(StatusCode.FailedPrecondition, result.Message)));
            next = context;
            return false;
        }

        refused = default;
        var headers = new Metadata();
        var key = ContractWire.OfferKey(_negotiator.Contract.Name);
        if (context.Options.Headers is { } existing)
        {
            foreach (var entry in existing)
            {
                if (!string.Equals(entry.Key, key, StringComparison.Ordinal))
                {
                    headers.Add(entry);
                }
            }
        }

        headers.Add(key, ContractWire.FormatVersions(offered));
        next = new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
        return true;
    }

    private async Task<NegotiationResult> ReadAnswerAsync(
        Task<Metadata> responseHeaders, Task? completion, Func<Metadata> getTrailers, IReadOnlyList<SemanticVersion> offered, VersionRange? policy)
    {
        Metadata? headers = null;
        try
        {
            headers = await responseHeaders.ConfigureAwait(false);
        }
        catch (RpcException ex) when (HasAnswer(ex.Trailers))
        {
            return Report(_negotiator.ReadAnswer(offered, policy, key => ex.Trailers.GetValue(key)));
        }

        if (HasAnswer(headers))
        {
            return Report(_negotiator.ReadAnswer(offered, policy, key => headers.GetValue(key)));
        }

        // A trailers-only response (a refusal) may surface its metadata only once the call has completed.
        if (completion is not null)
        {
            try
            {
                await completion.ConfigureAwait(false);
            }
            catch (RpcException ex) when (HasAnswer(ex.Trailers))
            {
                return Report(_negotiator.ReadAnswer(offered, policy, key => ex.Trailers.GetValue(key)));
            }
            catch (RpcException)
            {
                // The call failed for another reason; fall through to what the headers said.
            }
        }

        Metadata? trailers = null;
        try
        {
            trailers = getTrailers();
        }
        catch (InvalidOperationException)
        {
            // Streaming call still running: trailers are not available yet.
        }

        var source = trailers is not null && HasAnswer(trailers) ? trailers : headers;
        return Report(_negotiator.ReadAnswer(offered, policy, key => source.GetValue(key)));
    }

    private bool HasAnswer(Metadata metadata)
    {
        var name = _negotiator.Contract.Name;
        return metadata.Get(ContractWire.ChosenKey(name)) is not null || metadata.Get(ContractWire.RefusedKey(name)) is not null;
    }

    private NegotiationResult Report(NegotiationResult result)
    {
        try
        {
            _onAnswer?.Invoke(result);
        }
        catch (Exception)
        {
            // Documented: a callback that throws must not break the call.
        }

        return result;
    }

    private sealed class FailedStreamReader<T>(RpcException error) : IAsyncStreamReader<T>
    {
        public T Current => throw new InvalidOperationException("The call was not sent.");

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromException<bool>(error);
    }

    private sealed class FailedStreamWriter<T>(RpcException error) : IClientStreamWriter<T>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(T message) => Task.FromException(error);

        public Task CompleteAsync() => Task.CompletedTask;
    }
}
