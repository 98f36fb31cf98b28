// Gateway sample: calls the wallet (samples/Wallet) for 2 000 accounts. The gateway implements wallet-api 3.1 and
// 3.0; the canary flag `contract.wallet-api` (flags.json) decides per account which of them it may offer, so 3.1
// reaches 5 % of EU accounts. Edit flags.json while it runs (raise the weight, or set "killed": true) to widen or
// stop the canary. It also shows an old client getting a deprecation notice and a too-new one being refused.
//
//   dotnet run --project samples/Wallet      (in one terminal)
//   dotnet run --project samples/Gateway [-- --wallet http://127.0.0.1:5080] [--rounds N]
using FlagKit;
using FlagKit.Sources;
using FlagKit.Versioning;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Samples.Wallet.V1;

var walletUrl = "http://127.0.0.1:5080";
var rounds = 3;
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--wallet") walletUrl = args[++i];
    else if (args[i] == "--rounds") rounds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
}

await using var source = new FileFlagSource(Path.Combine(AppContext.BaseDirectory, "flags.json"));
await using var flags = new FlagClient(source);
await flags.StartAsync();

var gatewayContract = new Contract("wallet-api", [ContractVersion.Active("3.1.0"), ContractVersion.Active("3.0.0")]);
var policy = new ContractPolicy(flags, ContractPolicy.FlagKeyFor("wallet-api"));
VersionTags.Current = new VersionTags("gateway-sample", SemanticVersion.Parse("1.0.0")).WithContract("wallet-api", "3.1.0");

// The account a call is made for travels in an AsyncLocal, so the interceptor's policy can evaluate the canary flag.
var currentAccount = new AsyncLocal<EvaluationContext?>();
using var channel = GrpcChannel.ForAddress(walletUrl);
var wallet = new Wallet.WalletClient(channel.Intercept(
    new ContractClientInterceptor(new ContractNegotiator(gatewayContract, ContractSide.Client), _ => policy.Resolve(currentAccount.Value))));

string[] regions = ["eu", "us"];
var accounts = Enumerable.Range(0, 2_000)
    .Select(i => new EvaluationContext { AccountId = $"acct-{i}", Region = regions[i % regions.Length] })
    .ToArray();

try
{
    for (var round = 1; round <= rounds; round++)
    {
        var byRegionAndVersion = new Dictionary<string, int>();
        foreach (var account in accounts)
        {
            currentAccount.Value = account;
            using var call = wallet.GetBalanceAsync(new BalanceRequest { AccountId = account.AccountId });
            var reply = await call.ResponseAsync;
            var contract = await call.GetContractAsync("wallet-api");
            var key = $"{account.Region} {contract.Version}";
            byRegionAndVersion[key] = byRegionAndVersion.GetValueOrDefault(key) + 1;
        }

        Console.WriteLine($"round {round}: " + string.Join(", ", byRegionAndVersion.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        if (round < rounds)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    // An old client that only speaks 2.5: served, with the sunset announced.
    var legacy = new Wallet.WalletClient(channel.Intercept(new ContractClientInterceptor(
        new ContractNegotiator(new Contract("wallet-api", [ContractVersion.Active("2.5.0")]), ContractSide.Client))));
    using (var call = legacy.GetBalanceAsync(new BalanceRequest { AccountId = "acct-legacy" }))
    {
        var reply = await call.ResponseAsync;
        var contract = await call.GetContractAsync("wallet-api");
        Console.WriteLine($"legacy client: {contract.Message} Balance {reply.BalanceCents} cents.");
    }

    // A client ahead of the wallet: refused, and told what the wallet supports, so it can retry without guessing.
    var tooNew = new Wallet.WalletClient(channel.Intercept(new ContractClientInterceptor(
        new ContractNegotiator(new Contract("wallet-api", [ContractVersion.Active("4.0.0")]), ContractSide.Client))));
    using (var call = tooNew.GetBalanceAsync(new BalanceRequest { AccountId = "acct-future" }))
    {
        try
        {
            await call.ResponseAsync;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            var contract = await call.GetContractAsync("wallet-api");
            Console.WriteLine($"too-new client refused ({contract.Status}); the wallet supports {string.Join(", ", contract.Supported)}.");
        }
    }
}
catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
{
    Console.WriteLine($"The wallet is not reachable at {walletUrl}: start it first with `dotnet run --project samples/Wallet`.");
}
