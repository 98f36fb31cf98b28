using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Scheduling;
using Grpc.Core;

namespace FlagKit.Server.Admin;

/// <content>Freeze windows (<see cref="FreezeBook"/>); the check on every write is <see cref="FreezeCalendar.Admit"/>.</content>
internal sealed partial class FlagAdminService
{
    /// <inheritdoc />
    public override Task<FreezeInfo> FreezeAdd(FreezeAddRequest request, ServerCallContext context) =>
        Task.FromResult(Freezes(context).Add(request.Window ?? new FreezeWindow(), ApiKeyInterceptor.GetCaller(context)));

    /// <inheritdoc />
    public override Task<FreezeListResponse> FreezeList(FreezeListRequest request, ServerCallContext context) =>
        Task.FromResult(Freezes(context).List(request));

    /// <inheritdoc />
    public override Task<FreezeInfo> FreezeRemove(FreezeRemoveRequest request, ServerCallContext context) =>
        Task.FromResult(Freezes(context).Remove(request, ApiKeyInterceptor.GetCaller(context)));

    private static FreezeBook Freezes(ServerCallContext context) =>
        context.GetHttpContext().RequestServices.GetRequiredService<FreezeBook>();
}
