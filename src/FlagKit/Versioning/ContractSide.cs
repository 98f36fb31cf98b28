using System.Diagnostics.Metrics;

namespace FlagKit.Versioning;

/// <summary>Which end of a call a negotiator sits on.</summary>
public enum ContractSide
{
    /// <summary>The calling side: it offers versions and reads the server's answer.</summary>
    Client,

    /// <summary>The called side: it chooses a version from the client's offer.</summary>
    Server,
}
