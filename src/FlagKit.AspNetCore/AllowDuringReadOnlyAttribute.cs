namespace FlagKit.AspNetCore;

/// <summary>The endpoint runs in read-only and maintenance mode, whatever its method.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class AllowDuringReadOnlyAttribute : ReadOnlyModeMetadata
{
    /// <summary>Creates the attribute.</summary>
    public AllowDuringReadOnlyAttribute()
        : base(allowed: true)
    {
    }
}
