using FlagKit.Protocol.V1;

namespace FlagKit.Server.Auth;

/// <summary>Who is calling: the API key that authenticated the call.</summary>
/// <param name="KeyId">The key's public id.</param>
/// <param name="KeyName">The key's name.</param>
/// <param name="Role">SDK or admin.</param>
/// <param name="Environment">For SDK keys, the one environment it may read.</param>
/// <param name="Actor">What history and audit record as the author.</param>
internal sealed record CallerIdentity(string KeyId, string KeyName, ApiKeyRole Role, string? Environment, string Actor)
{
    /// <summary>Whether this caller may read <paramref name="environment"/> over the sync stream.</summary>
    /// <param name="environment">The environment named in Hello.</param>
    /// <returns>True for admin keys and for the SDK key of that environment.</returns>
    public bool MayRead(string environment) =>
        Role == ApiKeyRole.Admin || string.Equals(Environment, environment, StringComparison.Ordinal);
}
