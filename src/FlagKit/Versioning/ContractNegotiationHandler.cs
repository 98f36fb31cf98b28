namespace FlagKit.Versioning;

/// <summary>
/// An <see cref="HttpClient"/> handler that offers one contract's versions on every request
/// (<c>flagkit-offer-{contract}</c> header), reads the server's answer from the response headers and attaches it
/// to the response (<see cref="ContractHttpExtensions.GetContract(HttpResponseMessage, string)"/>).
/// </summary>
/// <remarks>
/// <para>
/// Register it like any delegating handler, e.g. with <c>IHttpClientFactory</c>:
/// <c>services.AddHttpClient("wallet").AddHttpMessageHandler(() =&gt; new ContractNegotiationHandler(negotiator))</c>.
/// </para>
/// <para>
/// A server refusal (by convention <c>406 Not Acceptable</c> with the answer headers) is returned as the response
/// it is; the attached result names the refusal code and what the server supports. The only exception of its
/// own is <see cref="ContractNegotiationException"/>, when the policy for the request admits none of this side's
/// versions (the request is then not sent). Thread-safe; one instance may serve every request of a client.
/// </para>
/// </remarks>
public sealed class ContractNegotiationHandler : DelegatingHandler
{
    private readonly ContractNegotiator _negotiator;
    private readonly Func<HttpRequestMessage, VersionRange?>? _policy;

    /// <summary>Creates the handler (set <see cref="DelegatingHandler.InnerHandler"/> yourself, or let <c>IHttpClientFactory</c> do it).</summary>
    /// <param name="negotiator">A client-side negotiator for the contract.</param>
    /// <param name="policy">Resolves the policy range for a request (for example from a policy flag and the
    /// request's <see cref="ContractHttpExtensions.GetEvaluationContext"/>, with a <see cref="ContractPolicy"/>); null for none.</param>
    public ContractNegotiationHandler(ContractNegotiator negotiator, Func<HttpRequestMessage, VersionRange?>? policy = null)
    {
        ArgumentNullException.ThrowIfNull(negotiator);
        if (negotiator.Side != ContractSide.Client)
        {
            throw new ArgumentException("The HTTP handler needs a client-side negotiator.", nameof(negotiator));
        }

        _negotiator = negotiator;
        _policy = policy;
    }

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = _negotiator.Contract.Name;
        var policy = _policy?.Invoke(request);
        var offered = _negotiator.Offer(policy);
        if (offered.Count == 0 && policy is not null)
        {
            var refused = _negotiator.RefuseLocally(policy);
            request.Options.Set(ContractHttpExtensions.OptionKey(name), refused);
            throw new ContractNegotiationException(refused);
        }

        var key = ContractWire.OfferKey(name);
        request.Headers.Remove(key);
        request.Headers.TryAddWithoutValidation(key, ContractWire.FormatVersions(offered));

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var result = _negotiator.ReadAnswer(offered, policy, k =>
            response.Headers.TryGetValues(k, out var values) ? string.Join(",", values) : null);
        (response.RequestMessage ?? request).Options.Set(ContractHttpExtensions.OptionKey(name), result);
        return response;
    }
}
