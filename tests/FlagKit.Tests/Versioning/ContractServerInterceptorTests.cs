using FlagKit.Tests.Versioning.Protos;
using FlagKit.Versioning;
using Grpc.Core;
using Grpc.Net.Client;

namespace FlagKit.Tests.Versioning;

/// <summary>The server interceptor on a real Kestrel server, called by a plain gRPC client that writes the offer itself.</summary>
public sealed class ContractServerInterceptorTests
{
    private LoopbackHost _host = null!;
    private GrpcChannel _channel = null!;
    private TestWallet.TestWalletClient _client = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server);

        // Policy: callers in region "canary" may get 3.1; everyone else is capped below it.
        var interceptor = new ContractServerInterceptor(
            negotiator,
            call => call.RequestHeaders.GetValue("x-region") == "canary" || call.RequestHeaders.GetValue("x-region") is null
                ? null
                : VersionRange.Parse("<3.1"));
        _host = await LoopbackHost.StartGrpcAsync(interceptor);
        _channel = GrpcChannel.ForAddress(_host.Address);
        _client = new TestWallet.TestWalletClient(_channel);
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    [Test]
    public async Task UnaryServerHandler_OfferOverlaps_HandlerSeesHighestCommonAndClientGetsAnswerHeaders()
    {
        using var call = _client.GetBalanceAsync(new BalanceRequest(), Offer("3.0.0, 3.1.0"));

        var reply = await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.Multiple(() =>
        {
            Assert.That(reply.ContractVersion, Is.EqualTo("3.1.0"));
            Assert.That(headers.GetValue("flagkit-chosen-wallet-api"), Is.EqualTo("3.1.0"));
            Assert.That(headers.GetValue("flagkit-supported-wallet-api"), Is.EqualTo("3.1.0, 3.0.0, 2.5.0"));
            Assert.That(headers.GetValue("flagkit-sunset-wallet-api"), Is.Null);
        });
    }

    [Test]
    public async Task UnaryServerHandler_DeprecatedChoice_AnswerCarriesSunset()
    {
        using var call = _client.GetBalanceAsync(new BalanceRequest(), Offer("2.5.0"));

        var reply = await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.That(reply.ContractVersion, Is.EqualTo("2.5.0"));
        Assert.That(reply.Deprecated, Is.True);
        Assert.That(headers.GetValue("flagkit-sunset-wallet-api"), Is.EqualTo("2026-12-31T00:00:00Z"));
    }

    [Test]
    public void UnaryServerHandler_NoOverlap_RefusesWithWhatTheServerSupports()
    {
        var callsBefore = TestWalletService.Calls;

        var ex = Assert.ThrowsAsync<RpcException>(async () => await _client.GetBalanceAsync(new BalanceRequest(), Offer("4.0.0")));

        Assert.Multiple(() =>
        {
            Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
            Assert.That(ex.Status.Detail, Is.EqualTo("Contract 'wallet-api': no version in common; this side supports 3.1.0, 3.0.0, 2.5.0 (retired: 2.0.0); the peer offered 4.0.0."));
            Assert.That(ex.Trailers.GetValue("flagkit-supported-wallet-api"), Is.EqualTo("3.1.0, 3.0.0, 2.5.0"));
            Assert.That(ex.Trailers.GetValue("flagkit-refused-wallet-api"), Is.EqualTo("no-overlap"));
            Assert.That(TestWalletService.Calls, Is.EqualTo(callsBefore), "the handler must not run");
        });
    }

    [Test]
    public void UnaryServerHandler_NoOffer_RejectedByDefault()
    {
        var ex = Assert.ThrowsAsync<RpcException>(async () => await _client.GetBalanceAsync(new BalanceRequest()));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(ex.Trailers.GetValue("flagkit-refused-wallet-api"), Is.EqualTo("peer-offered-nothing"));
    }

    [Test]
    public void UnaryServerHandler_OnlyRetiredInCommon_Refused()
    {
        var ex = Assert.ThrowsAsync<RpcException>(async () => await _client.GetBalanceAsync(new BalanceRequest(), Offer("2.0.0")));

        Assert.That(ex!.Trailers.GetValue("flagkit-refused-wallet-api"), Is.EqualTo("only-retired-in-common"));
    }

    [Test]
    public void UnaryServerHandler_MalformedOffer_RefusedAsProtocolError()
    {
        var ex = Assert.ThrowsAsync<RpcException>(async () => await _client.GetBalanceAsync(new BalanceRequest(), Offer("3.1")));

        Assert.That(ex!.Trailers.GetValue("flagkit-refused-wallet-api"), Is.EqualTo("protocol-error"));
        Assert.That(ex.Status.Detail, Does.Contain("the offer could not be read"));
    }

    [Test]
    public async Task UnaryServerHandler_PolicyCapsForContext_ChoosesBelowCap()
    {
        var headers = Offer("3.1.0, 3.0.0");
        headers.Add("x-region", "eu");

        var reply = await _client.GetBalanceAsync(new BalanceRequest(), headers);

        Assert.That(reply.ContractVersion, Is.EqualTo("3.0.0"));
    }

    [Test]
    public void UnaryServerHandler_PolicyExcludesEveryCommonVersion_Refused()
    {
        var headers = Offer("3.1.0");
        headers.Add("x-region", "eu");

        var ex = Assert.ThrowsAsync<RpcException>(async () => await _client.GetBalanceAsync(new BalanceRequest(), headers));

        Assert.That(ex!.Trailers.GetValue("flagkit-refused-wallet-api"), Is.EqualTo("policy-excluded-all"));
        Assert.That(ex.Status.Detail, Does.Contain("the policy '<3.1' excludes every version in common (3.1.0)"));
    }

    [Test]
    public async Task UnaryServerHandler_HandlerWritesItsOwnHeaders_AnswerTravelsInTrailers()
    {
        using var call = _client.GetBalanceAsync(new BalanceRequest { AccountId = "writes-own-headers" }, Offer("3.0.0"));

        var reply = await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.That(reply.ContractVersion, Is.EqualTo("3.0.0"));
        Assert.That(headers.GetValue("x-own"), Is.EqualTo("yes"));
        Assert.That(call.GetTrailers().GetValue("flagkit-chosen-wallet-api"), Is.EqualTo("3.0.0"));
    }

    [Test]
    public async Task UnaryServerHandler_Agreed_TrailersAlsoCarryAnswer()
    {
        using var call = _client.GetBalanceAsync(new BalanceRequest(), Offer("3.1.0"));

        await call.ResponseAsync;

        Assert.That(call.GetTrailers().GetValue("flagkit-chosen-wallet-api"), Is.EqualTo("3.1.0"));
    }

    [Test]
    public async Task ServerStreamingServerHandler_Agreed_AnswerArrivesBeforeMessages()
    {
        using var call = _client.WatchBalance(new BalanceRequest { Count = 3 }, Offer("3.1.0"));

        var headers = await call.ResponseHeadersAsync;
        var replies = new List<BalanceReply>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            replies.Add(reply);
        }

        Assert.That(headers.GetValue("flagkit-chosen-wallet-api"), Is.EqualTo("3.1.0"));
        Assert.That(replies.Select(r => r.ContractVersion), Is.EqualTo(new[] { "3.1.0", "3.1.0", "3.1.0" }));
    }

    [Test]
    public async Task ServerStreamingServerHandler_NoMessages_AnswerStillSent()
    {
        using var call = _client.WatchBalance(new BalanceRequest { Count = 0 }, Offer("3.0.0"));

        var headers = await call.ResponseHeadersAsync;
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.False);

        Assert.That(headers.GetValue("flagkit-chosen-wallet-api"), Is.EqualTo("3.0.0"));
    }

    [Test]
    public async Task UnaryServerHandler_Negotiation_RecordsAnActivityWithVersionTags()
    {
        var previous = VersionTags.Current;
        VersionTags.Current = new VersionTags("activity-build", null).WithContract("wallet-api", "3.1.0");
        var activities = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "FlagKit.Versioning",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        try
        {
            await _client.GetBalanceAsync(new BalanceRequest { AccountId = "activity" }, Offer("3.0.0, 2.5.0"));
        }
        finally
        {
            VersionTags.Current = previous;
        }

        var negotiation = activities.First(a => a.OperationName == "flagkit.contract.negotiate" && a.GetTagItem("flagkit.contract.offered") as string == "3.0.0, 2.5.0");
        Assert.That(negotiation.GetTagItem("flagkit.contract.version"), Is.EqualTo("3.0.0"));
        Assert.That(negotiation.GetTagItem("flagkit.build_id"), Is.EqualTo("activity-build"));
        Assert.That(negotiation.GetTagItem("flagkit.contract.wallet-api"), Is.EqualTo("3.1.0"));
    }

    [Test]
    public void Constructor_ClientNegotiator_Throws()
    {
        Assert.Throws<ArgumentException>(() => _ = new ContractServerInterceptor(new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Client)));
    }

    private static Metadata Offer(string versions) => new() { { "flagkit-offer-wallet-api", versions } };
}
