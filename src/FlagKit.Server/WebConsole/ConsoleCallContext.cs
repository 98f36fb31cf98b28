using FlagKit.Server.Auth;
using Grpc.Core;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// The call context a console write hands to the admin service's own RPC methods (<c>FlagAdminService.SetFlagState</c>
/// and the others): the signed-in key as the caller, the HTTP request's cancellation. So a console write is the admin
/// API's write, not a second implementation of it.
/// </summary>
internal sealed class ConsoleCallContext : ServerCallContext
{
    private readonly HttpContext _http;
    private readonly Dictionary<object, object> _userState = [];

    /// <summary>Creates the context.</summary>
    /// <param name="http">The console's request.</param>
    /// <param name="caller">The signed-in key.</param>
    /// <param name="method">The admin method called, e.g. <c>/flagkit.v1.FlagAdmin/SetFlagState</c>.</param>
    public ConsoleCallContext(HttpContext http, CallerIdentity caller, string method)
    {
        _http = http;
        MethodCore = method;
        ApiKeyInterceptor.SetCaller(this, caller);
    }

    /// <inheritdoc />
    protected override string MethodCore { get; }

    /// <inheritdoc />
    protected override string HostCore => _http.Request.Host.Value ?? "";

    /// <inheritdoc />
    protected override string PeerCore => "console:" + (_http.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <inheritdoc />
    protected override DateTime DeadlineCore => DateTime.MaxValue;

    /// <inheritdoc />
    protected override Metadata RequestHeadersCore { get; } = [];

    /// <inheritdoc />
    protected override CancellationToken CancellationTokenCore => _http.RequestAborted;

    /// <inheritdoc />
    protected override Metadata ResponseTrailersCore { get; } = [];

    /// <inheritdoc />
    protected override Status StatusCore { get; set; }

    /// <inheritdoc />
    protected override WriteOptions? WriteOptionsCore { get; set; }

    /// <inheritdoc />
    protected override AuthContext AuthContextCore { get; } = new(null, []);

    /// <inheritdoc />
    protected override IDictionary<object, object> UserStateCore => _userState;

    /// <inheritdoc />
    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Console writes do not propagate calls.");

    /// <inheritdoc />
    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
