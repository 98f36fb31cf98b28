using System.Security.Claims;
using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;

namespace FlagKit.Server.WebConsole;

/// <summary>Who is signed in to the console: the API key they signed in with (never its secret).</summary>
/// <param name="KeyId">The key's public id.</param>
/// <param name="KeyName">The key's name: the author history records for the console's writes.</param>
/// <param name="Role">Admin (writes) or viewer (reads only).</param>
internal sealed record ConsoleUser(string KeyId, string KeyName, ApiKeyRole Role)
{
    /// <summary>The claim holding the key id.</summary>
    public const string KeyIdClaim = "flagkit:key";

    /// <summary>The role name admins carry as a role claim.</summary>
    public const string AdminRole = "admin";

    /// <summary>The role name viewers carry as a role claim.</summary>
    public const string ViewerRole = "viewer";

    /// <summary>Whether this user may write.</summary>
    public bool IsAdmin => Role == ApiKeyRole.Admin;

    /// <summary>"admin" or "viewer".</summary>
    public string RoleName => IsAdmin ? AdminRole : ViewerRole;

    /// <summary>The session's claims.</summary>
    /// <param name="scheme">The authentication scheme.</param>
    /// <returns>The principal stored in the session cookie.</returns>
    public ClaimsPrincipal ToPrincipal(string scheme) => new(new ClaimsIdentity(
        [new Claim(KeyIdClaim, KeyId), new Claim(ClaimTypes.Name, KeyName), new Claim(ClaimTypes.Role, RoleName)],
        scheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>Reads the user of a signed-in request.</summary>
    /// <param name="principal">The request's user.</param>
    /// <returns>The user, or null when not signed in.</returns>
    public static ConsoleUser? From(ClaimsPrincipal principal)
    {
        var id = principal.FindFirstValue(KeyIdClaim);
        var name = principal.FindFirstValue(ClaimTypes.Name);
        if (principal.Identity?.IsAuthenticated != true || id is null || name is null)
        {
            return null;
        }

        return new ConsoleUser(id, name, principal.IsInRole(AdminRole) ? ApiKeyRole.Admin : ApiKeyRole.Viewer);
    }

    /// <summary>The identity a console write runs as, as if the key had called the admin API itself.</summary>
    /// <returns>The caller: the key's name is the actor history and audit record.</returns>
    public CallerIdentity ToCaller() => new(KeyId, KeyName, Role, null, KeyName);
}
