using System.Reflection;
using FlagKit.Protocol.V1;
using FlagKit.Server.Admin;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace FlagKit.Server.Hosting;

/// <summary>
/// Binds every <c>flagkit.v1.FlagAdmin</c> method again, from the generated binding, with request marshallers that
/// answer undecodable bytes with INVALID_ARGUMENT (<see cref="StrictDecoding"/>). Its endpoints carry
/// <see cref="EndpointMarker"/>; <see cref="FlagServerApp"/> gives them precedence over the default binding of the same
/// routes, which stays registered (grpc-dotnet binds generated services by itself) but is never selected.
/// </summary>
internal sealed class StrictAdminMethodProvider : IServiceMethodProvider<FlagAdminService>
{
    /// <summary>Endpoint metadata marking this provider's endpoints.</summary>
    public static readonly object EndpointMarker = new();

    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FlagAdminService> context) =>
        FlagAdmin.BindService(new Binder(context), null);

    private sealed class Binder(ServiceMethodProviderContext<FlagAdminService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var target = typeof(FlagAdminService).GetMethod(method.Name, BindingFlags.Public | BindingFlags.Instance, [typeof(TRequest), typeof(ServerCallContext)])
                ?? throw new InvalidOperationException($"FlagAdminService has no method {method.Name}.");
            var invoker = target.CreateDelegate<Grpc.AspNetCore.Server.Model.UnaryServerMethod<FlagAdminService, TRequest, TResponse>>();
            var strict = new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, StrictDecoding.Wrap(method.RequestMarshaller), method.ResponseMarshaller);
            context.AddUnaryMethod(strict, [EndpointMarker], invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var target = typeof(FlagAdminService).GetMethod(method.Name, BindingFlags.Public | BindingFlags.Instance, [typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)])
                ?? throw new InvalidOperationException($"FlagAdminService has no method {method.Name}.");
            var invoker = target.CreateDelegate<Grpc.AspNetCore.Server.Model.ServerStreamingServerMethod<FlagAdminService, TRequest, TResponse>>();
            var strict = new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, StrictDecoding.Wrap(method.RequestMarshaller), method.ResponseMarshaller);
            context.AddServerStreamingMethod(strict, [EndpointMarker], invoker);
        }

        // FlagAdmin has no client-streaming or duplex methods; one added later fails here, at start-up, by name.
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            throw new InvalidOperationException($"FlagAdmin.{method.Name} is client-streaming: bind it with strict decoding in StrictAdminMethodProvider.");

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, Grpc.Core.DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            throw new InvalidOperationException($"FlagAdmin.{method.Name} is duplex: bind it with strict decoding in StrictAdminMethodProvider.");
    }
}
