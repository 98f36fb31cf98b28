using FlagKit.Versioning;

namespace FlagKit.Tests.Versioning;

public sealed class ContractPolicyTests
{
    [Test]
    public async Task Resolve_CanaryRule_ServesRangePerContext()
    {
        await using var flags = new TestFlags().Set(ContractNegotiationHandlerTests.PolicyFlag());
        var policy = new ContractPolicy(flags.Client, "contract.wallet-api");

        var stable = policy.Resolve(new EvaluationContext { Region = "eu" });
        var canary = policy.Resolve(new EvaluationContext { Region = "canary" });

        Assert.That(stable!.Text, Is.EqualTo(">=3.0 <3.1"));
        Assert.That(canary!.Text, Is.EqualTo("^3.0"));
        Assert.That(policy.Resolve(new EvaluationContext { Region = "eu" }), Is.SameAs(stable), "parsed once, cached");
    }

    [Test]
    public async Task Resolve_FlagKilled_ServesOffVariantRange()
    {
        await using var flags = new TestFlags().Set(ContractNegotiationHandlerTests.PolicyFlag());
        var policy = new ContractPolicy(flags.Client, "contract.wallet-api");

        flags.Kill("contract.wallet-api");

        Assert.That(policy.Resolve(new EvaluationContext { Region = "canary" })!.Text, Is.EqualTo(">=3.0 <3.1"));
    }

    [Test]
    public async Task Resolve_FlagMissing_NoPolicy()
    {
        await using var flags = new TestFlags();

        Assert.That(new ContractPolicy(flags.Client, "contract.wallet-api").Resolve(null), Is.Null);
    }

    [Test]
    public async Task Resolve_VariantNotARange_NoPolicy()
    {
        await using var flags = new TestFlags().Set("contract.wallet-api", "^3.O");

        Assert.That(new ContractPolicy(flags.Client, "contract.wallet-api").Resolve(null), Is.Null);
    }

    [Test]
    public async Task Resolve_PolicyCapsNegotiation_CanaryGetsNewVersion()
    {
        await using var flags = new TestFlags().Set(ContractNegotiationHandlerTests.PolicyFlag());
        var policy = new ContractPolicy(flags.Client, ContractPolicy.FlagKeyFor("wallet-api"));
        var wallet = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server);
        var offer = ContractTests.Parse("3.1.0, 3.0.0");

        var stable = wallet.Negotiate(offer, policy.Resolve(new EvaluationContext { Region = "eu" }));
        var canary = wallet.Negotiate(offer, policy.Resolve(new EvaluationContext { Region = "canary" }));

        Assert.That(stable.Version?.ToString(), Is.EqualTo("3.0.0"));
        Assert.That(canary.Version?.ToString(), Is.EqualTo("3.1.0"));
    }
}
