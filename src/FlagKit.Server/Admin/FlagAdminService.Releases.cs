using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Releases;
using Grpc.Core;

namespace FlagKit.Server.Admin;

/// <content>Guarded releases (<see cref="ReleaseRunner"/>): start, read, pause, resume, promote, abort.</content>
internal sealed partial class FlagAdminService
{
    private const int MaxReleasesListed = 200;

    /// <inheritdoc />
    public override async Task<ReleaseInfo> StartRelease(ReleaseStartRequest request, ServerCallContext context)
    {
        var runner = Runner(context);
        var release = await runner.StartReleaseAsync(request.Environment, ReleaseMessages.Plan(request), ApiKeyInterceptor.GetCaller(context).Actor, request.Comment, context.CancellationToken).ConfigureAwait(false);
        return ReleaseMessages.Info(release, _time.GetUtcNow());
    }

    /// <inheritdoc />
    public override Task<ReleaseInfo> GetRelease(ReleaseGetRequest request, ServerCallContext context)
    {
        RequireReleaseName(request.Id, request.Flag);
        return Task.FromResult(ReleaseMessages.Info(Runner(context).GetRelease(request.Environment, request.Id, request.Flag), _time.GetUtcNow()));
    }

    /// <inheritdoc />
    public override Task<ReleaseListResponse> ListReleases(ReleaseListRequest request, ServerCallContext context)
    {
        var limit = request.Limit <= 0 ? DefaultLimit : Math.Min(request.Limit, MaxReleasesListed);
        var now = _time.GetUtcNow();
        var response = new ReleaseListResponse();
        response.Releases.AddRange(Runner(context).ListReleases(request.Environment, request.Flag, request.ActiveOnly, limit).Select(r => ReleaseMessages.Info(r, now)));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<ReleaseInfo> PauseRelease(ReleaseControlRequest request, ServerCallContext context) =>
        ControlRelease(request, context, static (runner, r, actor, ct) => runner.PauseReleaseAsync(r.Environment, r.Id, r.Flag, actor, r.Comment, ct));

    /// <inheritdoc />
    public override Task<ReleaseInfo> ResumeRelease(ReleaseControlRequest request, ServerCallContext context) =>
        ControlRelease(request, context, static (runner, r, actor, ct) => runner.ResumeReleaseAsync(r.Environment, r.Id, r.Flag, actor, r.Comment, ct));

    /// <inheritdoc />
    public override Task<ReleaseInfo> PromoteRelease(ReleaseControlRequest request, ServerCallContext context) =>
        ControlRelease(request, context, static (runner, r, actor, ct) => runner.PromoteReleaseAsync(r.Environment, r.Id, r.Flag, actor, r.Comment, ct));

    /// <inheritdoc />
    public override Task<ReleaseInfo> AbortRelease(ReleaseControlRequest request, ServerCallContext context) =>
        ControlRelease(request, context, static (runner, r, actor, ct) => runner.AbortReleaseAsync(r.Environment, r.Id, r.Flag, actor, r.Comment, ct));

    private async Task<ReleaseInfo> ControlRelease(
        ReleaseControlRequest request, ServerCallContext context, Func<ReleaseRunner, ReleaseControlRequest, string, CancellationToken, Task<ReleaseSnapshot>> command)
    {
        RequireReleaseName(request.Id, request.Flag);
        var release = await command(Runner(context), request, ApiKeyInterceptor.GetCaller(context).Actor, context.CancellationToken).ConfigureAwait(false);
        return ReleaseMessages.Info(release, _time.GetUtcNow());
    }

    private static void RequireReleaseName(long id, string flag)
    {
        if ((id > 0) == !string.IsNullOrEmpty(flag) || id < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "Name the release by exactly one of id (above 0) and flag."));
        }
    }

    // Resolved per call, so the service's constructor (shared with the other admin areas) needs no new parameter.
    private static ReleaseRunner Runner(ServerCallContext context) =>
        context.GetHttpContext().RequestServices.GetRequiredService<ReleaseRunner>();
}
