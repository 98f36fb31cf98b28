using FlagKit.Protocol.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FlagKit.Cli.Connection;

/// <summary>
/// One gRPC channel to the flag server's admin API, presenting the API key on every call, with a deadline on
/// every call so that a server that accepts connections but never answers cannot hang an operator.
/// </summary>
internal sealed class AdminConnection : IDisposable
{
    /// <summary>How long one admin call may take before it is reported as unreachable.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The request header naming the person acting (the server's <c>ApiKeyInterceptor.ActorHeader</c>).</summary>
    public const string ActorHeader = "flagkit-actor";

    /// <summary>Flags asked for per ListFlags page.</summary>
    public const int ListPageSize = 1000;

    private readonly GrpcChannel _channel;

    /// <summary>Opens (lazily: nothing is sent until the first call) a channel to <paramref name="settings"/>.Url.</summary>
    /// <param name="settings">Where to connect and which key to present.</param>
    public AdminConnection(ServerSettings settings)
    {
        Settings = settings;
        _channel = GrpcChannel.ForAddress(settings.Url, new GrpcChannelOptions
        {
            // Operators retry by hand; a transparent retry of a write would be surprising (idempotency keys make it
            // safe, but the output would hide it).
            MaxRetryAttempts = 0,
        });
        var invoker = _channel.Intercept(metadata =>
        {
            if (settings.Key is { } key)
            {
                metadata.Add("authorization", "Bearer " + key);
            }

            if (settings.Actor is { } actor)
            {
                // Who is acting, recorded by the server in history and audit beside the key's name.
                metadata.Add(ActorHeader, actor);
            }

            metadata.Add("user-agent", "flagkit-cli/" + typeof(AdminConnection).Assembly.GetName().Version?.ToString(3));
            return metadata;
        });
        Admin = new FlagAdmin.FlagAdminClient(invoker);
    }

    /// <summary>The settings this connection was opened with.</summary>
    public ServerSettings Settings { get; }

    /// <summary>The generated admin client.</summary>
    public FlagAdmin.FlagAdminClient Admin { get; }

    /// <summary>Call options with the per-call deadline and the command's cancellation.</summary>
    /// <param name="timeProvider">The clock the deadline is taken from.</param>
    /// <param name="cancellationToken">Cancels the call (Ctrl+C).</param>
    /// <returns>The options.</returns>
    public static CallOptions Call(TimeProvider timeProvider, CancellationToken cancellationToken) =>
        new(deadline: timeProvider.GetUtcNow().UtcDateTime + CallTimeout, cancellationToken: cancellationToken);

    /// <summary>
    /// Every flag a list request matches, page by page (a server without paging answers all at once, without a
    /// next page token). The revision is the first page's.
    /// </summary>
    /// <param name="call">Makes one ListFlags call.</param>
    /// <param name="request">The filter (environment, tag, state).</param>
    /// <returns>All matching flags.</returns>
    public static async Task<ListFlagsResponse> ListAllFlagsAsync(Func<ListFlagsRequest, Task<ListFlagsResponse>> call, ListFlagsRequest request)
    {
        var page = request.Clone();
        page.PageSize = ListPageSize;
        ListFlagsResponse? all = null;
        while (true)
        {
            var response = await call(page).ConfigureAwait(false);
            all ??= new ListFlagsResponse { EnvironmentRevision = response.EnvironmentRevision };
            all.Flags.AddRange(response.Flags);
            if (response.NextPageToken.Length == 0)
            {
                return all;
            }

            page.PageToken = response.NextPageToken;
        }
    }

    /// <summary>
    /// The environment's flags file, streamed in chunks (so it may exceed one message); a server without the stream
    /// is asked with the single-message ExportFile.
    /// </summary>
    /// <param name="admin">The client.</param>
    /// <param name="request">The request.</param>
    /// <param name="options">Deadline and cancellation.</param>
    /// <returns>The whole file and its revision.</returns>
    public static async Task<ExportFileResponse> ExportAsync(FlagAdmin.FlagAdminClient admin, ExportFileRequest request, CallOptions options)
    {
        try
        {
            using var stream = admin.ExportFileStream(request, options);
            using var file = new MemoryStream();
            long revision = 0;
            await foreach (var chunk in stream.ResponseStream.ReadAllAsync(options.CancellationToken).ConfigureAwait(false))
            {
                revision = chunk.Revision;
                chunk.FileJson.WriteTo(file);
            }

            return new ExportFileResponse { Revision = revision, FileJson = Google.Protobuf.ByteString.CopyFrom(file.GetBuffer(), 0, (int)file.Length) };
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return await admin.ExportFileAsync(request, options).ResponseAsync.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Turns a failed call into the one line an operator reads and the exit code a script tests.
    /// </summary>
    /// <param name="exception">The failure.</param>
    /// <param name="settings">Where the call went (named in unreachable/auth messages).</param>
    /// <returns>The failure to report.</returns>
    public static CommandFailedException Describe(RpcException exception, ServerSettings settings)
    {
        var detail = Sentence(OneLine(exception.Status.Detail));
        if (exception.StatusCode == StatusCode.Unavailable && exception.Status.DebugException is { } cause)
        {
            // "Error connecting to subchannel" says little; the innermost cause says "Connection refused".
            while (cause.InnerException is not null)
            {
                cause = cause.InnerException;
            }

            detail = OneLine(cause.Message);
        }

        var server = settings.Url.OriginalString;
        return exception.StatusCode switch
        {
            StatusCode.NotFound => new(
                ExitCodes.NotFound,
                $"{detail}; check the name, and the environment (--env / {ServerSettings.EnvironmentVariable}, now '{settings.Environment}')."),
            // A freeze or a scheduled change's state: the server's message says what to do; nobody changed anything.
            StatusCode.FailedPrecondition when detail.Contains(" is frozen by ", StringComparison.Ordinal) || detail.StartsWith("freeze '", StringComparison.Ordinal)
                || detail.StartsWith("scheduled change #", StringComparison.Ordinal) => new(ExitCodes.Conflict, $"{detail}."),
            StatusCode.FailedPrecondition or StatusCode.Aborted => new(
                ExitCodes.Conflict,
                $"{detail}; someone changed '{settings.Environment}' since — review with 'flagkit diff' / 'flagkit history' and try again."),
            StatusCode.AlreadyExists => new(ExitCodes.Conflict, $"{detail}."),
            StatusCode.Unauthenticated => new(
                ExitCodes.Auth,
                settings.Key is null
                    ? $"the server at {server} needs an API key: pass --key or set {ServerSettings.KeyVariable}."
                    : $"the server at {server} refused the API key ({detail}); check --key / {ServerSettings.KeyVariable}."),
            StatusCode.PermissionDenied => new(
                ExitCodes.Auth,
                detail.Contains("admin key", StringComparison.OrdinalIgnoreCase)
                    ? $"permission denied: {detail}."
                    : $"permission denied: {detail}; this needs an admin key (SDK keys can only read their environment)."),
            StatusCode.InvalidArgument or StatusCode.OutOfRange => new(ExitCodes.Invalid, $"the server refused the request: {detail}."),
            StatusCode.Unavailable => new(
                ExitCodes.Unreachable,
                $"cannot reach the flag server at {server} ({detail}); check --url / {ServerSettings.UrlVariable} and that the server is running."),
            StatusCode.DeadlineExceeded => new(
                ExitCodes.Unreachable,
                $"the flag server at {server} did not answer within {CallTimeout.TotalSeconds:0} s; check that it is healthy."),
            StatusCode.Cancelled => new(ExitCodes.Other, "cancelled."),
            StatusCode.Unimplemented => new(
                ExitCodes.Other,
                $"the server at {server} does not implement this call ({detail}); is it a FlagKit server of a matching version?"),
            _ => new(ExitCodes.Other, $"the flag server failed: {exception.StatusCode}: {detail}."),
        };
    }

    /// <summary>
    /// Whether a failed call may have reached the server and been applied: the transport broke after the connection
    /// was made (the request may have been sent; its answer was lost), or the deadline passed. A call that never
    /// connected (refused, name not resolved, TLS failed) and an answer the server gave are not.
    /// </summary>
    /// <param name="exception">The failure.</param>
    /// <returns>True when the outcome is unknown.</returns>
    public static bool MayHaveLanded(RpcException exception)
    {
        if (exception.StatusCode == StatusCode.DeadlineExceeded)
        {
            return true;
        }

        if (exception.StatusCode is not (StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown) || exception.Status.DebugException is not { } cause)
        {
            // The server answered with this status: it decided, and did not commit.
            return false;
        }

        for (Exception? e = cause; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError }
                || e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable })
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();

    // Server messages are sentences ("Flag 'x' does not exist ..."); the CLI's lines start in lower case.
    private static string Sentence(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && char.IsLower(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;

    private static string OneLine(string text)
    {
        var trimmed = text.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        return trimmed.Length == 0 ? "no detail given" : trimmed;
    }
}
