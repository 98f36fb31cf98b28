using FlagKit.Protocol.V1;
using Grpc.Core;

namespace FlagKit.Server.Auth;

/// <summary>Who is calling: the API key that authenticated the call.</summary>
/// <param name="KeyId">The key's public id.</param>
/// <param name="KeyName">The key's name.</param>
/// <param name="Role">SDK or admin.</param>
/// <param name="Environment">For SDK keys, the one environment it may read.</param>
/// <param name="Actor">What history and audit record as the author.</param>
/// <param name="Revoked">Cancelled when the key is revoked: a long call (the sync stream) must end then, whatever it is doing.</param>
internal sealed record CallerIdentity(string KeyId, string KeyName, ApiKeyRole Role, string? Environment, string Actor, CancellationToken Revoked = default)
{
    /// <summary>The status a call of a revoked key ends with.</summary>
    /// <returns>UNAUTHENTICATED naming the reason.</returns>
    public static RpcException RevokedError() =>
        new(new Status(StatusCode.Unauthenticated, "The API key of this stream was revoked."));

    /// <summary>Throws <see cref="RevokedError"/> when the key was revoked since the call was authenticated.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED: the key was revoked.</exception>
    public void ThrowIfRevoked()
    {
        if (Revoked.IsCancellationRequested)
        {
            throw RevokedError();
        }
    }

    /// <summary>Whether this caller may read <paramref name="environment"/> over the sync stream.</summary>
    /// <param name="environment">The environment named in Hello.</param>
    /// <returns>True for admin keys and for the SDK key of that environment.</returns>
    public bool MayRead(string environment) =>
        Role == ApiKeyRole.Admin || string.Equals(Environment, environment, StringComparison.Ordinal);
}
