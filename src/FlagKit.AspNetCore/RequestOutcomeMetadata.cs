namespace FlagKit.AspNetCore;

/// <summary>
/// Endpoint metadata naming the flags whose served variant each request of the endpoint is recorded against (added by
/// <see cref="RequestOutcomeEndpointExtensions.WithFlagOutcomes{TBuilder}"/>).
/// </summary>
public sealed class RequestOutcomeMetadata
{
    /// <summary>Creates the metadata.</summary>
    /// <param name="flags">The flag keys (at least one; none empty).</param>
    /// <exception cref="ArgumentException">No flag, or an empty key.</exception>
    public RequestOutcomeMetadata(params string[] flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        if (flags.Length == 0 || flags.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("WithFlagOutcomes needs at least one flag key, and no empty one.", nameof(flags));
        }

        Flags = [.. flags];
    }

    /// <summary>The flag keys.</summary>
    public IReadOnlyList<string> Flags { get; }
}
