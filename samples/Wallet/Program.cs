// Wallet sample: a gRPC wallet that speaks wallet-api 3.1 and 3.0, and still 2.5 (deprecated, sunset announced).
// Its server interceptor chooses the highest version the caller offers; a caller with nothing in common is refused
// with FAILED_PRECONDITION and told what the wallet supports.
//
//   dotnet run --project samples/Wallet [-- --urls http://127.0.0.1:5080]
//   then: dotnet run --project samples/Gateway
using FlagKit.Versioning;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Wallet;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

var walletApi = new Contract(
    "wallet-api",
    [
        ContractVersion.Active("3.1.0"),
        ContractVersion.Active("3.0.0"),
        ContractVersion.Deprecated("2.5.0", sunset: new DateTimeOffset(2027, 3, 31, 0, 0, 0, TimeSpan.Zero)),
        ContractVersion.Retired("2.0.0"),
    ]);
builder.Services.AddSingleton(new ContractServerInterceptor(new ContractNegotiator(walletApi, ContractSide.Server)));
builder.Services.AddGrpc(options => options.Interceptors.Add<ContractServerInterceptor>());

var app = builder.Build();
app.MapGrpcService<WalletService>();
app.Logger.LogInformation("Wallet serving {Contract}", walletApi);
app.Run();
