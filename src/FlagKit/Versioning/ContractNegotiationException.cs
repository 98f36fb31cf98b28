namespace FlagKit.Versioning;

/// <summary>
/// Thrown by <see cref="ContractNegotiationHandler"/> when a request cannot be sent because the policy for it
/// admits none of this side's versions. Server refusals are not exceptions: they come back as responses whose
/// <see cref="ContractHttpExtensions.GetContract(HttpResponseMessage, string)"/> says why.
/// </summary>
public sealed class ContractNegotiationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="result">The failed negotiation.</param>
    internal ContractNegotiationException(NegotiationResult result)
        : base(result?.Message)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
    }

    /// <summary>The failed negotiation, with both sides' versions.</summary>
    public NegotiationResult Result { get; }
}
