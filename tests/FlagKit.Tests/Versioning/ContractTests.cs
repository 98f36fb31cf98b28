using FlagKit.Versioning;

namespace FlagKit.Tests.Versioning;

public sealed class ContractTests
{
    private static readonly DateTimeOffset Sunset = new(2026, 12, 31, 0, 0, 0, TimeSpan.Zero);

    public static Contract WalletApi(SemanticVersion? assumed = null) => new(
        "wallet-api",
        [
            ContractVersion.Active("3.0.0"),
            ContractVersion.Deprecated("2.5.0", Sunset),
            ContractVersion.Retired("2.0.0"),
            ContractVersion.Active("3.1.0"),
        ],
        assumed);

    // offers (comma-separated), policy (null = none), expected status, expected version (null = none)
    private static readonly (string Offers, string? Policy, NegotiationStatus Status, string? Version)[] Cases =
    [
        ("3.1.0, 3.0.0", null, NegotiationStatus.Agreed, "3.1.0"),
        ("3.0.0, 3.1.0", null, NegotiationStatus.Agreed, "3.1.0"),
        ("3.0.0, 2.5.0", null, NegotiationStatus.Agreed, "3.0.0"),
        ("2.5.0", null, NegotiationStatus.Agreed, "2.5.0"),
        ("2.5.0, 2.0.0", null, NegotiationStatus.Agreed, "2.5.0"),
        ("9.9.9, 3.0.0", null, NegotiationStatus.Agreed, "3.0.0"),
        ("4.0.0, 3.2.0", null, NegotiationStatus.NoOverlap, null),
        ("3.1.0-beta.1", null, NegotiationStatus.NoOverlap, null),
        ("2.0.0", null, NegotiationStatus.OnlyRetiredInCommon, null),
        ("2.0.0, 1.0.0", null, NegotiationStatus.OnlyRetiredInCommon, null),
        ("3.1.0, 3.0.0", "<3.1", NegotiationStatus.Agreed, "3.0.0"),
        ("3.1.0, 3.0.0", "^3.0", NegotiationStatus.Agreed, "3.1.0"),
        ("3.1.0, 3.0.0, 2.5.0", ">=2.5 <3.0", NegotiationStatus.Agreed, "2.5.0"),
        ("3.1.0", "<3.1", NegotiationStatus.PolicyExcludedAll, null),
        ("3.1.0, 2.0.0", "<3.1", NegotiationStatus.PolicyExcludedAll, null),
        ("", null, NegotiationStatus.PeerOfferedNothing, null),
        ("", "<3.1", NegotiationStatus.PeerOfferedNothing, null),
    ];

    public static IEnumerable<TestCaseData> NegotiationCases() =>
        Cases.Select(c => new TestCaseData(c.Offers, c.Policy, c.Status, c.Version)
            .SetArgDisplayNames($"offers [{c.Offers}] policy '{c.Policy}' → {c.Status} {c.Version}"));

    [TestCaseSource(nameof(NegotiationCases))]
    public void Negotiate_Offer_ChoosesHighestCommonOrSaysWhy(string offers, string? policy, NegotiationStatus status, string? version)
    {
        var offered = Parse(offers);
        var range = policy is null ? null : VersionRange.Parse(policy);

        var result = WalletApi().Negotiate(offered, range);

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(status));
            Assert.That(result.IsAgreed, Is.EqualTo(status == NegotiationStatus.Agreed));
            Assert.That(result.Version?.ToString(), Is.EqualTo(version));
            Assert.That(result.Supported.Select(v => v.ToString()), Is.EqualTo(new[] { "3.1.0", "3.0.0", "2.5.0" }));
            Assert.That(result.Offered, Is.EqualTo(offered));
            Assert.That(result.Policy, Is.SameAs(range));
            Assert.That(result.ContractName, Is.EqualTo("wallet-api"));
            Assert.That(result.AssumedForSilentPeer, Is.False);
        });
    }

    [Test]
    public void Negotiate_DeprecatedChoice_CarriesSunset()
    {
        var result = WalletApi().Negotiate(Parse("2.5.0"));

        Assert.That(result.IsDeprecated, Is.True);
        Assert.That(result.Sunset, Is.EqualTo(Sunset));
        Assert.That(result.Chosen!.Status, Is.EqualTo(ContractVersionStatus.Deprecated));
        Assert.That(result.Message, Is.EqualTo(
            "Contract 'wallet-api': agreed on 2.5.0 (deprecated, sunset 2026-12-31); this side supports 3.1.0, 3.0.0, 2.5.0; the peer offered 2.5.0."));
    }

    [Test]
    public void Negotiate_NoOverlap_MessageNamesBothSides()
    {
        var result = WalletApi().Negotiate(Parse("4.0.0, 3.2.0"));

        Assert.That(result.Message, Is.EqualTo(
            "Contract 'wallet-api': no version in common; this side supports 3.1.0, 3.0.0, 2.5.0 (retired: 2.0.0); the peer offered 4.0.0, 3.2.0."));
    }

    [Test]
    public void Negotiate_PolicyExcludedAll_MessageNamesPolicyAndCommonVersions()
    {
        var result = WalletApi().Negotiate(Parse("3.1.0"), VersionRange.Parse("<3.1"));

        Assert.That(result.Message, Is.EqualTo(
            "Contract 'wallet-api': the policy '<3.1' excludes every version in common (3.1.0); this side supports 3.1.0, 3.0.0, 2.5.0 (retired: 2.0.0); the peer offered 3.1.0."));
    }

    [Test]
    public void Negotiate_OnlyRetiredInCommon_MessageNamesThem()
    {
        var result = WalletApi().Negotiate(Parse("2.0.0"));

        Assert.That(result.Message, Is.EqualTo(
            "Contract 'wallet-api': only retired versions in common (2.0.0); this side supports 3.1.0, 3.0.0, 2.5.0 (retired: 2.0.0); the peer offered 2.0.0."));
    }

    [Test]
    public void Negotiate_PeerOfferedNothingAndRejectPolicy_SaysSo()
    {
        var result = WalletApi().Negotiate([]);

        Assert.That(result.Message, Is.EqualTo(
            "Contract 'wallet-api': the peer offered no version, and this contract rejects peers that offer none; this side supports 3.1.0, 3.0.0, 2.5.0 (retired: 2.0.0)."));
    }

    [Test]
    public void Negotiate_PeerOfferedNothingWithAssumedVersion_AgreesOnIt()
    {
        var result = WalletApi(assumed: SemanticVersion.Parse("2.5.0")).Negotiate(null);

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(NegotiationStatus.Agreed));
            Assert.That(result.Version, Is.EqualTo(SemanticVersion.Parse("2.5.0")));
            Assert.That(result.AssumedForSilentPeer, Is.True);
            Assert.That(result.Offered, Is.EqualTo(new[] { SemanticVersion.Parse("2.5.0") }));
            Assert.That(result.Message, Does.Contain("the peer offered nothing, assumed 2.5.0"));
        });
    }

    [Test]
    public void Negotiate_AssumedVersionExcludedByPolicy_FailsWithPolicyCode()
    {
        var result = WalletApi(assumed: SemanticVersion.Parse("2.5.0")).Negotiate([], VersionRange.Parse(">=3"));

        Assert.That(result.Status, Is.EqualTo(NegotiationStatus.PolicyExcludedAll));
        Assert.That(result.AssumedForSilentPeer, Is.True);
    }

    [Test]
    public void Negotiate_AssumedVersionRetired_FailsOnlyRetired()
    {
        var result = WalletApi(assumed: SemanticVersion.Parse("2.0.0")).Negotiate([]);

        Assert.That(result.Status, Is.EqualTo(NegotiationStatus.OnlyRetiredInCommon));
        Assert.That(result.Message, Does.Contain("the peer offered nothing, assumed 2.0.0"));
    }

    [Test]
    public void Negotiate_PreReleaseContractVersion_OnlyWhenPolicyOptsIn()
    {
        var contract = new Contract("ledger", [ContractVersion.Active("1.0.0"), ContractVersion.Active("1.1.0-beta.1")]);
        var offered = Parse("1.1.0-beta.1, 1.0.0");

        Assert.That(contract.Negotiate(offered).Version?.ToString(), Is.EqualTo("1.1.0-beta.1"));
        Assert.That(contract.Negotiate(offered, VersionRange.Parse("^1.0")).Version?.ToString(), Is.EqualTo("1.0.0"));
        Assert.That(contract.Negotiate(offered, VersionRange.Parse(">=1.1.0-beta.1")).Version?.ToString(), Is.EqualTo("1.1.0-beta.1"));
    }

    [Test]
    public void Versions_AreSortedHighestFirst()
    {
        var contract = WalletApi();

        Assert.That(contract.Versions.Select(v => v.Version.ToString()), Is.EqualTo(new[] { "3.1.0", "3.0.0", "2.5.0", "2.0.0" }));
        Assert.That(contract.Find(SemanticVersion.Parse("2.0.0"))!.Status, Is.EqualTo(ContractVersionStatus.Retired));
        Assert.That(contract.Find(SemanticVersion.Parse("1.0.0")), Is.Null);
        Assert.That(contract.ToString(), Is.EqualTo("wallet-api 3.1.0, 3.0.0, 2.5.0 (deprecated, sunset 2026-12-31), 2.0.0 (retired)"));
    }

    [TestCase("", "1 to 64 characters")]
    [TestCase("Wallet", "must start with a lower-case letter or a digit")]
    [TestCase("wallet api", "' ' is not allowed")]
    [TestCase("wallet:api", "':' is not allowed")]
    [TestCase("wallet-bin", "must not end in '-bin'")]
    public void Constructor_InvalidName_Throws(string name, string problem)
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new Contract(name, [ContractVersion.Active("1.0.0")]));

        Assert.That(ex!.Message, Does.Contain(problem));
    }

    [Test]
    public void Constructor_InvalidVersions_Throws()
    {
        Assert.That(() => new Contract("a", []), Throws.ArgumentException.With.Message.Contains("at least one version"));
        Assert.That(
            () => new Contract("a", [ContractVersion.Active("1.0.0"), ContractVersion.Retired("1.0.0")]),
            Throws.ArgumentException.With.Message.Contains("lists version 1.0.0 twice"));
        Assert.That(
            () => new Contract("a", [ContractVersion.Active("1.0.0")], SemanticVersion.Parse("0.9.0")),
            Throws.ArgumentException.With.Message.Contains("assumes 0.9.0 for peers that offer nothing, but does not list that version"));
        Assert.That(() => ContractVersion.Active("1.0.0+build"), Throws.ArgumentException.With.Message.Contains("build metadata"));
        Assert.That(() => ContractVersion.Active("1.0"), Throws.InstanceOf<FormatException>());
    }

    internal static SemanticVersion[] Parse(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(SemanticVersion.Parse)];
}
