namespace FlagKit.Versioning;

/// <summary>Where one version of a contract stands in its life.</summary>
public enum ContractVersionStatus
{
    /// <summary>Implemented and current.</summary>
    Active,

    /// <summary>Still implemented, chosen only when nothing newer is common, with a sunset date announced to the peer.</summary>
    Deprecated,

    /// <summary>No longer served: never chosen, even when it is the only version in common.</summary>
    Retired,
}
