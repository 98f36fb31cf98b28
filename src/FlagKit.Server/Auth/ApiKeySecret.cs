using System.Security.Cryptography;
using System.Text;
using FlagKit.Protocol.V1;

namespace FlagKit.Server.Auth;

/// <summary>
/// API key secrets: 256 random bits, base64url, behind a role prefix (<c>fk_admin_</c>, <c>fk_sdk_</c>) so that a
/// leaked key is recognisable by secret scanners. Only the SHA-256 of a secret is ever stored; a high-entropy secret
/// needs no slow hash.
/// </summary>
internal static class ApiKeySecret
{
    /// <summary>How many leading characters are kept to recognise a key (never enough to use it).</summary>
    public const int PrefixLength = 12;

    /// <summary>Creates a new secret for a role.</summary>
    /// <param name="role">SDK or admin.</param>
    /// <returns>The secret, shown once.</returns>
    public static string Generate(ApiKeyRole role)
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        var body = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (role == ApiKeyRole.Admin ? "fk_admin_" : "fk_sdk_") + body;
    }

    /// <summary>A new public key id.</summary>
    /// <returns>For example <c>key_3f9a0c1b7d2e</c>.</returns>
    public static string NewId() => "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>SHA-256 of the UTF-8 secret.</summary>
    /// <param name="secret">The secret.</param>
    /// <returns>32 bytes.</returns>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>The recognisable start of a secret.</summary>
    /// <param name="secret">The secret.</param>
    /// <returns>At most <see cref="PrefixLength"/> characters followed by an ellipsis.</returns>
    public static string Prefix(string secret) => secret[..Math.Min(PrefixLength, secret.Length / 3)] + "…";
}
