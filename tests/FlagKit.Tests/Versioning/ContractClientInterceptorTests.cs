using System.Collections.Concurrent;
using FlagKit.Tests.Versioning.Protos;
using FlagKit.Versioning;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FlagKit.Tests.Versioning;

/// <summary>Client and server interceptors negotiating over real gRPC calls on loopback.</summary>
public sealed class ContractClientInterceptorTests
{
    private static readonly DateTimeOffset Sunset = new(2026, 12, 31, 0, 0, 0, TimeSpan.Zero);

    private LoopbackHost _host = null!;
    private GrpcChannel _channel = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        // The wallet: 3.1 and 3.0 active, 2.5 deprecated, 2.0 retired; a second contract, "ledger", on the same calls,
        // which assumes 1.0.0 for clients that do not negotiate it (it predates negotiation).
        var ledger = new Contract("ledger", [ContractVersion.Active("1.1.0"), ContractVersion.Active("1.0.0")], SemanticVersion.Parse("1.0.0"));
        _host = await LoopbackHost.StartGrpcAsync(
            new ContractServerInterceptor(new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server)),
            new ContractServerInterceptor(new ContractNegotiator(ledger, ContractSide.Server)));
        _channel = GrpcChannel.ForAddress(_host.Address);
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    [Test]
    public async Task AsyncUnaryCall_ServerAgrees_CallExposesTheChoice()
    {
        var client = Client(Gateway("3.1.0", "3.0.0"));

        using var call = client.GetBalanceAsync(new BalanceRequest());
        var reply = await call.ResponseAsync;
        var contract = await call.GetContractAsync("wallet-api");

        Assert.Multiple(() =>
        {
            Assert.That(reply.ContractVersion, Is.EqualTo("3.1.0"));
            Assert.That(contract.Status, Is.EqualTo(NegotiationStatus.Agreed));
            Assert.That(contract.Version, Is.EqualTo(SemanticVersion.Parse("3.1.0")));
            Assert.That(contract.IsDeprecated, Is.False);
            Assert.That(contract.Supported.Select(v => v.ToString()), Is.EqualTo(new[] { "3.1.0", "3.0.0", "2.5.0" }));
            Assert.That(contract.Offered.Select(v => v.ToString()), Is.EqualTo(new[] { "3.1.0", "3.0.0" }));
        });
    }

    [Test]
    public async Task AsyncUnaryCall_DeprecatedChoice_ClientSeesSunset()
    {
        var client = Client(Gateway("2.5.0"));

        using var call = client.GetBalanceAsync(new BalanceRequest());
        await call.ResponseAsync;
        var contract = await call.GetContractAsync("wallet-api");

        Assert.That(contract.Version, Is.EqualTo(SemanticVersion.Parse("2.5.0")));
        Assert.That(contract.IsDeprecated, Is.True);
        Assert.That(contract.Sunset, Is.EqualTo(Sunset));
    }

    [Test]
    public async Task AsyncUnaryCall_ServerRefuses_CallFailsAndAnswerSaysWhatServerSupports()
    {
        var client = Client(Gateway("4.1.0", "4.0.0"));

        using var call = client.GetBalanceAsync(new BalanceRequest());
        var ex = Assert.ThrowsAsync<RpcException>(async () => await call.ResponseAsync);
        var contract = await call.GetContractAsync("wallet-api");

        Assert.Multiple(() =>
        {
            Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
            Assert.That(contract.Status, Is.EqualTo(NegotiationStatus.NoOverlap));
            Assert.That(contract.Supported.Select(v => v.ToString()), Is.EqualTo(new[] { "3.1.0", "3.0.0", "2.5.0" }));
            Assert.That(contract.Message, Is.EqualTo("Contract 'wallet-api': the server refused (no-overlap); it supports 3.1.0, 3.0.0, 2.5.0; this side offered 4.1.0, 4.0.0."));
        });
    }

    [Test]
    public async Task AsyncUnaryCall_RefusedThenRetriedWithServerSupported_Agrees()
    {
        var first = Client(Gateway("4.0.0"));
        using var refused = first.GetBalanceAsync(new BalanceRequest());
        Assert.ThrowsAsync<RpcException>(async () => await refused.ResponseAsync);
        var answer = await refused.GetContractAsync("wallet-api");

        // Without guessing: offer what the server said it supports.
        var retry = Client(new ContractNegotiator(new Contract("wallet-api", answer.Supported.Select(ContractVersion.Active)), ContractSide.Client));
        var reply = await retry.GetBalanceAsync(new BalanceRequest());

        Assert.That(reply.ContractVersion, Is.EqualTo("3.1.0"));
    }

    [Test]
    public async Task AsyncUnaryCall_CanaryPolicy_OnlyCanaryCallersGetNewVersion()
    {
        // The canary decision is the caller's: a header on the call says whether this caller is in the canary.
        var client = Client(Gateway("3.1.0", "3.0.0"), options => options.Headers?.GetValue("x-canary") == "yes" ? null : VersionRange.Parse("<3.1"));

        var regular = await client.GetBalanceAsync(new BalanceRequest());
        var canary = await client.GetBalanceAsync(new BalanceRequest(), new Metadata { { "x-canary", "yes" } });

        Assert.That(regular.ContractVersion, Is.EqualTo("3.0.0"));
        Assert.That(canary.ContractVersion, Is.EqualTo("3.1.0"));
    }

    [Test]
    public async Task AsyncUnaryCall_PolicyExcludesEveryVersion_CallIsNotSent()
    {
        var client = Client(Gateway("3.1.0", "3.0.0"), _ => VersionRange.Parse(">=5"));
        var callsBefore = TestWalletService.Calls;

        using var call = client.GetBalanceAsync(new BalanceRequest());
        var ex = Assert.ThrowsAsync<RpcException>(async () => await call.ResponseAsync);
        var contract = await call.GetContractAsync("wallet-api");

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(contract.Status, Is.EqualTo(NegotiationStatus.PolicyExcludedAll));
        Assert.That(TestWalletService.Calls, Is.EqualTo(callsBefore));
    }

    [Test]
    public async Task AsyncServerStreamingCall_Agreed_AnswerBeforeMessages()
    {
        var client = Client(Gateway("3.0.0"));

        using var call = client.WatchBalance(new BalanceRequest { Count = 2 });
        var contract = await call.GetContractAsync("wallet-api");
        var replies = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.That(contract.Version, Is.EqualTo(SemanticVersion.Parse("3.0.0")));
        Assert.That(replies.Select(r => r.ContractVersion), Is.EqualTo(new[] { "3.0.0", "3.0.0" }));
    }

    [Test]
    public void BlockingUnaryCall_Refused_OnAnswerReportsRefusal()
    {
        var answers = new ConcurrentQueue<NegotiationResult>();
        var interceptor = new ContractClientInterceptor(Gateway("4.0.0"), onAnswer: answers.Enqueue);
        var client = new TestWallet.TestWalletClient(_channel.Intercept(interceptor));

        var ex = Assert.Throws<RpcException>(() => client.GetBalance(new BalanceRequest()));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(answers.Single().Status, Is.EqualTo(NegotiationStatus.NoOverlap));
    }

    [Test]
    public async Task AsyncUnaryCall_TwoContractsOnOneChannel_EachAnswerIsExposed()
    {
        var invoker = _channel
            .Intercept(new ContractClientInterceptor(Gateway("3.0.0")))
            .Intercept(new ContractClientInterceptor(new ContractNegotiator(new Contract("ledger", [ContractVersion.Active("1.0.0")]), ContractSide.Client)));
        var client = new TestWallet.TestWalletClient(invoker);

        using var call = client.GetBalanceAsync(new BalanceRequest());
        await call.ResponseAsync;

        Assert.That((await call.GetContractAsync("wallet-api")).Version?.ToString(), Is.EqualTo("3.0.0"));
        Assert.That((await call.GetContractAsync("ledger")).Version?.ToString(), Is.EqualTo("1.0.0"));
        Assert.Throws<InvalidOperationException>(() => call.GetContractAsync("other"));
    }

    [Test]
    public async Task AsyncUnaryCall_ClientDoesNotNegotiateAContract_ServerAssumesItsNamedVersion()
    {
        var client = Client(Gateway("3.0.0"));

        using var call = client.GetBalanceAsync(new BalanceRequest());
        await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.That(headers.GetValue("flagkit-chosen-ledger"), Is.EqualTo("1.0.0"));
    }

    [Test]
    public async Task AsyncUnaryCall_RealCalls_CountedOnBothSides()
    {
        using var metrics = new MetricsRecorder("FlagKit.Versioning", "flagkit.contract.negotiations", tags => tags["flagkit.contract.name"] == "wallet-api");
        var client = Client(Gateway("2.5.0"));

        await client.GetBalanceAsync(new BalanceRequest());
        await client.GetBalanceAsync(new BalanceRequest());

        // Other tests of this fixture may run at the same time; count only deprecated 2.5.0 traffic, which only this test makes.
        Assert.That(metrics.Sum(t => t["flagkit.contract.version"] == "2.5.0" && t["flagkit.contract.side"] == "client"), Is.EqualTo(2));
        Assert.That(metrics.Sum(t => t["flagkit.contract.version"] == "2.5.0" && t["flagkit.contract.side"] == "server"), Is.EqualTo(2));
    }

    [Test]
    public void Constructor_ServerNegotiator_Throws()
    {
        Assert.Throws<ArgumentException>(() => _ = new ContractClientInterceptor(new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server)));
    }

    private static ContractNegotiator Gateway(params string[] versions) =>
        new(new Contract("wallet-api", versions.Select(ContractVersion.Active)), ContractSide.Client);

    private TestWallet.TestWalletClient Client(ContractNegotiator negotiator, Func<CallOptions, VersionRange?>? policy = null) =>
        new(_channel.Intercept(new ContractClientInterceptor(negotiator, policy)));
}
