namespace FlagKit.Versioning;

/// <summary>Reads the outcome of contract negotiation on HTTP requests and responses.</summary>
public static class ContractHttpExtensions
{
    /// <summary>The answer the server gave for <paramref name="contract"/>, attached by <see cref="ContractNegotiationHandler"/>.</summary>
    /// <param name="response">The response.</param>
    /// <param name="contract">The contract's name.</param>
    /// <returns>The result, or null when no handler for that contract ran.</returns>
    public static NegotiationResult? GetContract(this HttpResponseMessage response, string contract)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.RequestMessage?.GetContract(contract);
    }

    /// <summary>The answer the server gave for <paramref name="contract"/> on this request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="contract">The contract's name.</param>
    /// <returns>The result, or null when no handler for that contract ran.</returns>
    public static NegotiationResult? GetContract(this HttpRequestMessage request, string contract)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Options.TryGetValue(OptionKey(contract), out var result) ? result : null;
    }

    /// <summary>Attaches the evaluation context of a request, for a policy delegate to read (<see cref="GetEvaluationContext"/>).</summary>
    /// <param name="request">The request.</param>
    /// <param name="context">Who the request is for.</param>
    /// <returns>The request.</returns>
    public static HttpRequestMessage SetEvaluationContext(this HttpRequestMessage request, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Options.Set(ContextKey, context);
        return request;
    }

    /// <summary>Reads the context attached by <see cref="SetEvaluationContext"/>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The context, or null.</returns>
    public static EvaluationContext? GetEvaluationContext(this HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Options.TryGetValue(ContextKey, out var context) ? context : null;
    }

    private static readonly HttpRequestOptionsKey<EvaluationContext> ContextKey = new("flagkit.evaluation-context");

    internal static HttpRequestOptionsKey<NegotiationResult> OptionKey(string contract) => new("flagkit.contract:" + contract);
}
