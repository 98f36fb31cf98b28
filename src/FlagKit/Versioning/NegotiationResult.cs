namespace FlagKit.Versioning;

/// <summary>
/// The outcome of a contract negotiation: the chosen version, or why there is none, with both sides' versions.
/// </summary>
/// <remarks>Immutable and safe to share between threads. Produced without throwing.</remarks>
public sealed class NegotiationResult
{
    internal NegotiationResult(
        Contract contract,
        NegotiationStatus status,
        ContractVersion? chosen,
        IReadOnlyList<SemanticVersion> peerVersions,
        VersionRange? policy,
        bool assumed,
        string message)
    {
        ContractName = contract.Name;
        Status = status;
        Chosen = chosen;
        Supported = contract.Supported;
        Offered = peerVersions;
        Policy = policy;
        AssumedForSilentPeer = assumed;
        Message = message;
    }

    internal NegotiationResult(
        string contractName,
        NegotiationStatus status,
        ContractVersion? chosen,
        IReadOnlyList<SemanticVersion> supported,
        IReadOnlyList<SemanticVersion> offered,
        VersionRange? policy,
        bool assumed,
        string message)
    {
        ContractName = contractName;
        Status = status;
        Chosen = chosen;
        Supported = supported;
        Offered = offered;
        Policy = policy;
        AssumedForSilentPeer = assumed;
        Message = message;
    }

    /// <summary>The contract's name.</summary>
    public string ContractName { get; }

    /// <summary>Agreed, or the reason there is no agreement.</summary>
    public NegotiationStatus Status { get; }

    /// <summary>Whether a version was chosen.</summary>
    public bool IsAgreed => Status == NegotiationStatus.Agreed;

    /// <summary>The chosen version with its status and sunset, or null.</summary>
    public ContractVersion? Chosen { get; }

    /// <summary>The chosen version, or null.</summary>
    public SemanticVersion? Version => Chosen?.Version;

    /// <summary>Whether the chosen version is deprecated (see <see cref="Sunset"/>).</summary>
    public bool IsDeprecated => Chosen?.Status == ContractVersionStatus.Deprecated;

    /// <summary>When the chosen version stops being served, if it is deprecated.</summary>
    public DateTimeOffset? Sunset => Chosen?.Sunset;

    /// <summary>
    /// The versions the choosing side (the server) supports, highest first. A client that was refused reads here
    /// what the server supports, so it can retry without guessing.
    /// </summary>
    public IReadOnlyList<SemanticVersion> Supported { get; }

    /// <summary>
    /// The versions the offering side (the client) offered; when it offered none and the contract assumes a version
    /// for such peers, that version (see <see cref="AssumedForSilentPeer"/>).
    /// </summary>
    public IReadOnlyList<SemanticVersion> Offered { get; }

    /// <summary>The policy range that capped the choice (or the offer), or null.</summary>
    public VersionRange? Policy { get; }

    /// <summary>Whether the peer offered nothing and the contract's assumed version stood in for its offer.</summary>
    public bool AssumedForSilentPeer { get; }

    /// <summary>A sentence for logs and error responses naming the outcome and both sides' versions.</summary>
    public string Message { get; }

    /// <summary>The <see cref="Message"/>.</summary>
    /// <returns>The message.</returns>
    public override string ToString() => Message;
}
