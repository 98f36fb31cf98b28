namespace FlagKit.Versioning;

/// <summary>How a contract negotiation ended.</summary>
public enum NegotiationStatus
{
    /// <summary>A version was chosen (<see cref="NegotiationResult.Version"/>).</summary>
    Agreed,

    /// <summary>The peer offered versions, but none that this side lists.</summary>
    NoOverlap,

    /// <summary>There were versions in common, but the policy (a policy flag's range) excluded every one of them.</summary>
    PolicyExcludedAll,

    /// <summary>The peer offered no version and the contract rejects such peers.</summary>
    PeerOfferedNothing,

    /// <summary>Every version in common is retired on this side.</summary>
    OnlyRetiredInCommon,

    /// <summary>
    /// The offer or the answer could not be read, or broke the protocol (a server chose a version the client did
    /// not offer); see <see cref="NegotiationResult.Message"/>.
    /// </summary>
    ProtocolError,
}
