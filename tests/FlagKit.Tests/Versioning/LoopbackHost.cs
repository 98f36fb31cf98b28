using System.Net;
using FlagKit.Tests.Versioning.Protos;
using FlagKit.Versioning;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlagKit.Tests.Versioning;

/// <summary>A real Kestrel server on 127.0.0.1 port 0, hosting the test wallet service or plain HTTP endpoints.</summary>
internal sealed class LoopbackHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static Task<LoopbackHost> StartGrpcAsync(params ContractServerInterceptor[] interceptors) =>
        StartAsync(HttpProtocols.Http2, services =>
        {
            services.AddGrpc(options =>
            {
                options.EnableDetailedErrors = true;
                foreach (var interceptor in interceptors)
                {
                    options.Interceptors.Add<InterceptorSlot>(interceptor);
                }
            });
        }, app => app.MapGrpcService<TestWalletService>());

    public static Task<LoopbackHost> StartHttpAsync(Action<WebApplication> configure) =>
        StartAsync(HttpProtocols.Http1, _ => { }, configure);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task<LoopbackHost> StartAsync(HttpProtocols protocols, Action<IServiceCollection> services, Action<WebApplication> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols));
        services(builder.Services);
        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new LoopbackHost(app, new Uri(address));
    }

    // grpc-dotnet activates interceptors by type; this slot forwards to the instance given as its argument.
    private sealed class InterceptorSlot(ContractServerInterceptor inner) : global::Grpc.Core.Interceptors.Interceptor
    {
        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
            inner.UnaryServerHandler(request, context, continuation);

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
            inner.ServerStreamingServerHandler(request, responseStream, context, continuation);
    }
}

/// <summary>Answers with what the contract interceptor agreed on, so tests see what the handler saw.</summary>
internal sealed class TestWalletService : TestWallet.TestWalletBase
{
    public const string Contract = "wallet-api";

    private static int s_calls;

    /// <summary>How many calls reached a handler (a call refused by an interceptor never does).</summary>
    public static int Calls => Volatile.Read(ref s_calls);

    public override async Task<BalanceReply> GetBalance(BalanceRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref s_calls);
        if (request.AccountId == "writes-own-headers")
        {
            await context.WriteResponseHeadersAsync(new Metadata { { "x-own", "yes" } });
        }

        return Reply(context);
    }

    public override async Task WatchBalance(BalanceRequest request, IServerStreamWriter<BalanceReply> responseStream, ServerCallContext context)
    {
        Interlocked.Increment(ref s_calls);
        for (var i = 0; i < request.Count; i++)
        {
            await responseStream.WriteAsync(Reply(context, i));
        }
    }

    private static BalanceReply Reply(ServerCallContext context, long balance = 100)
    {
        var contract = context.GetContract(Contract);
        return new BalanceReply
        {
            ContractVersion = contract?.Version?.ToString() ?? "",
            Deprecated = contract?.IsDeprecated ?? false,
            Balance = balance,
        };
    }
}
