namespace FlagKit;

/// <summary>An environment's operating mode for a context, from the least to the most restrictive.</summary>
public enum OperatingMode
{
    /// <summary>Everything works.</summary>
    Normal = 0,

    /// <summary>Reads go on; writes (mutating requests, game actions that change state) are refused for a while.</summary>
    ReadOnly = 1,

    /// <summary>Maintenance: like read-only, and the app may show a maintenance notice.</summary>
    Maintenance = 2,
}
