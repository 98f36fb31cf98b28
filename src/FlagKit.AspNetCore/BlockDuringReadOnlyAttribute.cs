namespace FlagKit.AspNetCore;

/// <summary>The endpoint is refused (503) in read-only and maintenance mode, whatever its method (e.g. a GET that writes).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class BlockDuringReadOnlyAttribute : ReadOnlyModeMetadata
{
    /// <summary>Creates the attribute.</summary>
    public BlockDuringReadOnlyAttribute()
        : base(allowed: false)
    {
    }
}
