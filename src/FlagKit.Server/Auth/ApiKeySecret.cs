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
    /// <summary>How many characters of the secret itself (after a role prefix) are kept to recognise a key.</summary>
    public const int ShownCharacters = 4;

    private static readonly string[] RolePrefixes = ["fk_admin_", "fk_sdk_", "fk_viewer_"];

    /// <summary>Creates a new secret for a role.</summary>
    /// <param name="role">SDK or admin.</param>
    /// <returns>The secret, shown once.</returns>
    public static string Generate(ApiKeyRole role)
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        var body = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return role switch { ApiKeyRole.Admin => "fk_admin_", ApiKeyRole.Viewer => "fk_viewer_", _ => "fk_sdk_" } + body;
    }

    /// <summary>A new public key id.</summary>
    /// <returns>For example <c>key_3f9a0c1b7d2e</c>.</returns>
    public static string NewId() => "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>SHA-256 of the UTF-8 secret.</summary>
    /// <param name="secret">The secret.</param>
    /// <returns>32 bytes.</returns>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>
    /// The recognisable start of a secret: its role prefix (<c>fk_sdk_</c>, <c>fk_admin_</c>) when it has one, and
    /// <see cref="ShownCharacters"/> characters more, whatever the secret's length (a configured key of 24 characters
    /// shows 4 of them, never a third).
    /// </summary>
    /// <param name="secret">The secret, or a prefix stored by an older server (shortened the same way).</param>
    /// <returns>The prefix followed by an ellipsis.</returns>
    public static string Prefix(string secret)
    {
        var body = secret.TrimEnd('…');
        var role = RolePrefixes.FirstOrDefault(p => body.StartsWith(p, StringComparison.Ordinal)) ?? "";
        return body[..Math.Min(body.Length, role.Length + ShownCharacters)] + "…";
    }
}
