namespace FlagKit.AspNetCore;

/// <summary>
/// Endpoint metadata that overrides the method rule of <c>UseReadOnlyMode</c>: <see cref="AllowDuringReadOnlyAttribute"/>
/// lets a mutating endpoint run in read-only mode (a login, a health probe), <see cref="BlockDuringReadOnlyAttribute"/>
/// refuses any method (a GET that writes). The last one on an endpoint wins.
/// </summary>
public abstract class ReadOnlyModeMetadata : Attribute
{
    private protected ReadOnlyModeMetadata(bool allowed)
    {
        Allowed = allowed;
    }

    /// <summary>Whether the endpoint runs while the environment is read-only (or in maintenance).</summary>
    public bool Allowed { get; }
}
