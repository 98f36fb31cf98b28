using System.Net;
using FlagKit.Versioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlagKit.Tests.Versioning;

/// <summary>The HTTP handler against a real Kestrel server whose middleware negotiates with the public wire helpers.</summary>
public sealed class ContractNegotiationHandlerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private LoopbackHost _host = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        var wallet = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server);
        _host = await LoopbackHost.StartHttpAsync(app =>
        {
            // The server side of HTTP negotiation, as docs/versioning.md shows it.
            app.Use(async (context, next) =>
            {
                var offer = context.Request.Headers[ContractWire.OfferKey("wallet-api")];
                var result = wallet.NegotiateOffer(offer.Count == 0 ? null : offer.ToString());
                foreach (var (key, value) in ContractWire.AnswerEntries(result))
                {
                    context.Response.Headers[key] = value;
                }

                foreach (var (key, value) in ContractWire.HttpDeprecationHeaders(result, Now))
                {
                    context.Response.Headers[key] = value;
                }

                if (!result.IsAgreed)
                {
                    context.Response.StatusCode = StatusCodes.Status406NotAcceptable;
                    await context.Response.WriteAsync(result.Message);
                    return;
                }

                context.Items["wallet-api"] = result;
                await next(context);
            });
            app.MapGet("/balance", (HttpContext context) => ((NegotiationResult)context.Items["wallet-api"]!).Version!.ToString());
        });
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [Test]
    public async Task SendAsync_ServerAgrees_ResponseCarriesTheChoice()
    {
        using var client = Client(Gateway("3.1.0", "3.0.0"));

        using var response = await client.GetAsync("/balance");
        var contract = response.GetContract("wallet-api")!;

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("3.1.0"));
            Assert.That(contract.Status, Is.EqualTo(NegotiationStatus.Agreed));
            Assert.That(contract.Version, Is.EqualTo(SemanticVersion.Parse("3.1.0")));
            Assert.That(response.Headers.Contains("Deprecation"), Is.False);
        });
    }

    [Test]
    public async Task SendAsync_DeprecatedChoice_StandardDeprecationAndSunsetHeaders()
    {
        using var client = Client(Gateway("2.5.0"));

        using var response = await client.GetAsync("/balance");
        var contract = response.GetContract("wallet-api")!;

        Assert.Multiple(() =>
        {
            Assert.That(contract.IsDeprecated, Is.True);
            Assert.That(contract.Sunset, Is.EqualTo(new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(response.Headers.GetValues("Deprecation").Single(), Is.EqualTo("@" + Now.ToUnixTimeSeconds()));
            Assert.That(response.Headers.GetValues("Sunset").Single(), Is.EqualTo("Thu, 31 Dec 2026 00:00:00 GMT"));
        });
    }

    [Test]
    public async Task SendAsync_ServerRefuses_ResponseSaysWhatServerSupports()
    {
        using var client = Client(Gateway("4.0.0"));

        using var response = await client.GetAsync("/balance");
        var contract = response.GetContract("wallet-api")!;

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotAcceptable));
            Assert.That(contract.Status, Is.EqualTo(NegotiationStatus.NoOverlap));
            Assert.That(contract.Supported.Select(v => v.ToString()), Is.EqualTo(new[] { "3.1.0", "3.0.0", "2.5.0" }));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("the peer offered 4.0.0"));
        });
    }

    [Test]
    public async Task SendAsync_PolicyFlagForRequestContext_CapsTheOffer()
    {
        // contract.wallet-api: region "canary" gets ^3.0 (3.1 allowed), everyone else >=3.0 <3.1.
        await using var flags = new TestFlags().Set(PolicyFlag());
        var policy = new ContractPolicy(flags.Client, ContractPolicy.FlagKeyFor("wallet-api"));
        using var client = Client(Gateway("3.1.0", "3.0.0"), request => policy.Resolve(request.GetEvaluationContext()));

        using var regular = await client.GetAsync("/balance");
        using var canaryRequest = new HttpRequestMessage(HttpMethod.Get, "/balance").SetEvaluationContext(new EvaluationContext { Region = "canary" });
        using var canary = await client.SendAsync(canaryRequest);

        Assert.That(await regular.Content.ReadAsStringAsync(), Is.EqualTo("3.0.0"));
        Assert.That(await canary.Content.ReadAsStringAsync(), Is.EqualTo("3.1.0"));
    }

    [Test]
    public void SendAsync_PolicyExcludesEveryVersion_ThrowsWithoutSending()
    {
        using var client = Client(Gateway("3.1.0"), _ => VersionRange.Parse("<3"));

        var ex = Assert.ThrowsAsync<ContractNegotiationException>(async () => await client.GetAsync("/balance"));

        Assert.That(ex!.Result.Status, Is.EqualTo(NegotiationStatus.PolicyExcludedAll));
        Assert.That(ex.Message, Does.Contain("the policy '<3' excludes every version this side could offer (3.1.0)"));
    }

    [Test]
    public void Constructor_ServerNegotiator_Throws()
    {
        Assert.Throws<ArgumentException>(() => _ = new ContractNegotiationHandler(new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server)));
    }

    internal static FlagKit.Documents.FlagDocument PolicyFlag() => new()
    {
        Key = "contract.wallet-api",
        Kind = FlagKit.Documents.FlagKind.String,
        On = true,
        Variants = new Dictionary<string, System.Text.Json.JsonElement>
        {
            ["stable"] = System.Text.Json.JsonSerializer.SerializeToElement(">=3.0 <3.1"),
            ["canary"] = System.Text.Json.JsonSerializer.SerializeToElement("^3.0"),
        },
        OffVariant = "stable",
        Rules =
        [
            new FlagKit.Documents.RuleDocument
            {
                Id = "canary-region",
                Conditions = [new FlagKit.Documents.ConditionDocument { Attribute = "region", Op = "in", Values = [System.Text.Json.JsonSerializer.SerializeToElement("canary")] }],
                Variant = "canary",
            },
        ],
        DefaultRule = new FlagKit.Documents.ServeDocument { Variant = "stable" },
    };

    private static ContractNegotiator Gateway(params string[] versions) =>
        new(new Contract("wallet-api", versions.Select(ContractVersion.Active)), ContractSide.Client);

    private HttpClient Client(ContractNegotiator negotiator, Func<HttpRequestMessage, VersionRange?>? policy = null) =>
        new(new ContractNegotiationHandler(negotiator, policy) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = _host.Address };
}
