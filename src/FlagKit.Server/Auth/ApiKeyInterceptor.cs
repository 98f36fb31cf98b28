using FlagKit.Protocol.V1;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Hosting;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FlagKit.Server.Auth;

/// <summary>
/// Authenticates every FlagKit call from its <c>authorization: Bearer &lt;key&gt;</c> metadata and authorizes it by
/// role: the admin API needs an admin key, the sync stream an SDK key (or an admin key). The gRPC health service is
/// open. A missing or unknown key gets UNAUTHENTICATED, an SDK key on the admin API PERMISSION_DENIED. Secrets are
/// never logged; only key ids are.
/// </summary>
/// <remarks>Thread safety: stateless apart from the registry, which is thread safe.</remarks>
internal sealed class ApiKeyInterceptor : Interceptor
{
    /// <summary>The metadata a caller may send to name the person behind a shared key (recorded as author).</summary>
    public const string ActorHeader = "flagkit-actor";

    private const string IdentityKey = "flagkit.identity";
    private readonly ApiKeyRegistry _keys;
    private readonly ILogger<ApiKeyInterceptor> _logger;

    /// <summary>Creates the interceptor.</summary>
    /// <param name="keys">The live keys.</param>
    /// <param name="logger">Where refusals are logged (key ids only).</param>
    public ApiKeyInterceptor(ApiKeyRegistry keys, ILogger<ApiKeyInterceptor> logger)
    {
        _keys = keys;
        _logger = logger;
    }

    /// <summary>The identity the interceptor attached to a call.</summary>
    /// <param name="context">The call.</param>
    /// <returns>The caller.</returns>
    /// <exception cref="RpcException">UNAUTHENTICATED when the call went around the interceptor.</exception>
    public static CallerIdentity GetCaller(ServerCallContext context) =>
        context.UserState.TryGetValue(IdentityKey, out var value) && value is CallerIdentity identity
            ? identity
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "The call was not authenticated."));

    /// <summary>
    /// Attaches a caller authenticated elsewhere (the web console's session) to a call context, so that the admin
    /// service's own methods run for it exactly as for a gRPC call with that key.
    /// </summary>
    /// <param name="context">The call context.</param>
    /// <param name="caller">The caller.</param>
    public static void SetCaller(ServerCallContext context, CallerIdentity caller) => context.UserState[IdentityKey] = caller;

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authorize(ServerCallContext context)
    {
        var method = context.Method;
        if (method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal))
        {
            return;
        }

        var header = context.RequestHeaders.GetValue("authorization");
        if (string.IsNullOrEmpty(header))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Missing API key: send the metadata 'authorization: Bearer <key>'."));
        }

        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Malformed authorization metadata: expected 'Bearer <key>'."));
        }

        if (!_keys.TryAuthenticate(header[scheme.Length..].Trim(), out var key, out var revoked))
        {
            ServerLog.CallRefusedUnknownKey(_logger, method, UntrustedText.ForLog(context.Peer));
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Invalid API key (unknown or revoked)."));
        }

        if (method.StartsWith("/flagkit.v1.FlagAdmin/", StringComparison.Ordinal) && key.Role != ApiKeyRole.Admin)
        {
            ServerLog.CallRefusedNotAdmin(_logger, method, key.Id);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"Key {key.Id} is {(key.Role == ApiKeyRole.Viewer ? "a viewer key (web console only)" : "an SDK key")}; the admin API needs an admin key."));
        }

        var user = context.RequestHeaders.GetValue(ActorHeader);
        if (user is { Length: > RequestLimits.MaxIdChars })
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"The metadata '{ActorHeader}' is {user.Length} characters; the limit is {RequestLimits.MaxIdChars}."));
        }

        var actor = string.IsNullOrWhiteSpace(user)
            ? key.Name
            : $"{Sanitize(user)} (key {key.Name})";
        SetCaller(context, new CallerIdentity(key.Id, key.Name, key.Role, key.Environment, actor, revoked));
    }

    private static string Sanitize(string user)
    {
        var trimmed = user.Trim();

        // Stored in history and audit and logged: nothing that could break or hide a line (controls, separators, bidi).
        var clean = new string(trimmed.Where(c => !char.IsControl(c) && c is not ('\u2028' or '\u2029')
            && System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format).ToArray());
        return clean.Length == 0 ? "unknown" : clean;
    }
}
