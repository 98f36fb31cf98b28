using System.Runtime.CompilerServices;
using Grpc.Core;

namespace FlagKit.Versioning;

/// <summary>Reads the outcome of contract negotiation on gRPC calls (server handlers and client calls).</summary>
public static class ContractGrpcExtensions
{
    private static readonly ConditionalWeakTable<object, ContractAnswers> Answers = new();

    /// <summary>
    /// In a server handler: the version the <see cref="ContractServerInterceptor"/> for <paramref name="contract"/>
    /// agreed on for this call (with its status and sunset), or null when no such interceptor ran.
    /// </summary>
    /// <param name="context">The call context.</param>
    /// <param name="contract">The contract's name.</param>
    /// <returns>The agreed result, or null.</returns>
    public static NegotiationResult? GetContract(this ServerCallContext context, string contract)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserState.TryGetValue(UserStateKey(contract), out var value) ? value as NegotiationResult : null;
    }

    /// <summary>On a client call: the server's answer for <paramref name="contract"/> (see <see cref="ContractClientInterceptor"/>).</summary>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="call">The call returned through a channel intercepted by <see cref="ContractClientInterceptor"/>.</param>
    /// <param name="contract">The contract's name.</param>
    /// <returns>
    /// A task that completes with the result once the answer arrives (response headers, or the trailers of a
    /// refusal); it faults with the call's own error when the call failed before any answer.
    /// </returns>
    /// <exception cref="InvalidOperationException">No contract interceptor for <paramref name="contract"/> handled this call.</exception>
    public static Task<NegotiationResult> GetContractAsync<TResponse>(this AsyncUnaryCall<TResponse> call, string contract) => Find(call, contract);

    /// <inheritdoc cref="GetContractAsync{TResponse}(AsyncUnaryCall{TResponse}, string)"/>
    public static Task<NegotiationResult> GetContractAsync<TResponse>(this AsyncServerStreamingCall<TResponse> call, string contract) => Find(call, contract);

    /// <inheritdoc cref="GetContractAsync{TResponse}(AsyncUnaryCall{TResponse}, string)"/>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    public static Task<NegotiationResult> GetContractAsync<TRequest, TResponse>(this AsyncClientStreamingCall<TRequest, TResponse> call, string contract) => Find(call, contract);

    /// <inheritdoc cref="GetContractAsync{TResponse}(AsyncUnaryCall{TResponse}, string)"/>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    public static Task<NegotiationResult> GetContractAsync<TRequest, TResponse>(this AsyncDuplexStreamingCall<TRequest, TResponse> call, string contract) => Find(call, contract);

    internal static string UserStateKey(string contract) => "flagkit.contract:" + contract;

    /// <summary>Records the answer task of <paramref name="contract"/> for the wrapped call, carrying over answers the inner call already had.</summary>
    internal static void Register(object wrapped, object inner, string contract, Task<NegotiationResult> answer)
    {
        var answers = Answers.TryGetValue(inner, out var existing) ? existing : new ContractAnswers();
        answers.Set(contract, answer);
        Answers.AddOrUpdate(wrapped, answers);
    }

    private static Task<NegotiationResult> Find(object call, string contract)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(contract);
        if (Answers.TryGetValue(call, out var answers) && answers.TryGet(contract, out var task))
        {
            return task;
        }

        throw new InvalidOperationException(
            $"No ContractClientInterceptor for contract '{contract}' handled this call; intercept the channel with one (channel.Intercept(...)).");
    }

    private sealed class ContractAnswers
    {
        private readonly Dictionary<string, Task<NegotiationResult>> _byContract = new(StringComparer.Ordinal);

        public void Set(string contract, Task<NegotiationResult> answer)
        {
            lock (_byContract)
            {
                _byContract[contract] = answer;
            }
        }

        public bool TryGet(string contract, out Task<NegotiationResult> answer)
        {
            lock (_byContract)
            {
                return _byContract.TryGetValue(contract, out answer!);
            }
        }
    }
}
