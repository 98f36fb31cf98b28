using FlagKit.Protocol.V1;
using FlagKit.Server.Hosting;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace FlagKit.Server.Sync;

/// <summary>
/// Binds <see cref="FlagSyncService.Sync"/> to <c>/flagkit.v1.FlagSync/Sync</c> with a response marshaller that writes
/// pre-serialized frames. The wire format is exactly the generated <c>SyncResponse</c>'s. Requests that are not a
/// <c>SyncRequest</c> are refused with INVALID_ARGUMENT (<see cref="StrictDecoding"/>); telemetry summaries are parsed
/// only once their stream's rate limit admits them (<see cref="SyncRequestFrame"/>, <see cref="TelemetryGateReader"/>).
/// </summary>
internal sealed class SyncMethodProvider : IServiceMethodProvider<FlagSyncService>
{
    /// <summary>The method, as the generated client calls it.</summary>
    public static readonly Method<SyncRequestFrame, SyncFrame> SyncMethod = new(
        MethodType.DuplexStreaming,
        FlagSync.Descriptor.FullName,
        "Sync",
        SyncRequestFrame.Marshaller,
        SyncFrame.Marshaller);

    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FlagSyncService> context) =>
        context.AddDuplexStreamingMethod(SyncMethod, [], static (service, requests, responses, call) =>
            service.Sync(new TelemetryGateReader(requests, service.Telemetry, Auth.ApiKeyInterceptor.GetCaller(call).Environment), responses, call));
}
