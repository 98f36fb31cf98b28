using FlagKit.Versioning;

namespace FlagKit.Tests.Versioning;

public sealed class ContractNegotiatorTests
{
    private static readonly DateTimeOffset Sunset = new(2026, 12, 31, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public void NegotiateOffer_WireValue_ChoosesHighestCommon()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server);

        var result = negotiator.NegotiateOffer("3.0.0, 3.1.0");

        Assert.That(result.Version, Is.EqualTo(SemanticVersion.Parse("3.1.0")));
    }

    [Test]
    public void NegotiateOffer_Absent_IsPeerOfferedNothing()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server);

        Assert.That(negotiator.NegotiateOffer(null).Status, Is.EqualTo(NegotiationStatus.PeerOfferedNothing));
    }

    [Test]
    public void NegotiateOffer_Malformed_IsProtocolErrorNamingTheProblem()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Server);

        var result = negotiator.NegotiateOffer("3.1.0, three");

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(NegotiationStatus.ProtocolError));
            Assert.That(result.Message, Does.StartWith("Contract 'wallet-api': the offer could not be read: Version list '3.1.0, three' has an entry that is not a version at index 6"));
            Assert.That(result.Message, Does.EndWith("This side supports 3.1.0, 3.0.0, 2.5.0."));
            Assert.That(result.Supported, Has.Count.EqualTo(3));
        });
    }

    [Test]
    public void Offer_Policy_CapsTheOffer()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Client);

        Assert.That(negotiator.Offer().Select(v => v.ToString()), Is.EqualTo(new[] { "3.1.0", "3.0.0", "2.5.0" }));
        Assert.That(negotiator.Offer(VersionRange.Parse("<3.1")).Select(v => v.ToString()), Is.EqualTo(new[] { "3.0.0", "2.5.0" }));
        Assert.That(negotiator.Offer(VersionRange.Parse(">=4")), Is.Empty);
    }

    [Test]
    public void RefuseLocally_Policy_IsPolicyExcludedAll()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Client);

        var result = negotiator.RefuseLocally(VersionRange.Parse(">=4"));

        Assert.That(result.Status, Is.EqualTo(NegotiationStatus.PolicyExcludedAll));
        Assert.That(result.Message, Is.EqualTo("Contract 'wallet-api': the policy '>=4' excludes every version this side could offer (3.1.0, 3.0.0, 2.5.0); nothing was sent."));
    }

    // entries the server sent (key suffix = value; null value = absent), expected status, expected version
    public static IEnumerable<TestCaseData> Answers()
    {
        yield return new TestCaseData(new Dictionary<string, string> { ["chosen"] = "3.1.0", ["supported"] = "3.1.0, 3.0.0" }, NegotiationStatus.Agreed, "3.1.0")
            .SetArgDisplayNames("chosen offered version");
        yield return new TestCaseData(new Dictionary<string, string> { ["chosen"] = "2.5.0", ["supported"] = "2.5.0", ["sunset"] = "2026-12-31T00:00:00Z" }, NegotiationStatus.Agreed, "2.5.0")
            .SetArgDisplayNames("chosen deprecated version");
        yield return new TestCaseData(new Dictionary<string, string> { ["refused"] = "no-overlap", ["supported"] = "4.0.0" }, NegotiationStatus.NoOverlap, null)
            .SetArgDisplayNames("refused no overlap");
        yield return new TestCaseData(new Dictionary<string, string> { ["refused"] = "policy-excluded-all", ["supported"] = "3.1.0" }, NegotiationStatus.PolicyExcludedAll, null)
            .SetArgDisplayNames("refused by policy");
        yield return new TestCaseData(new Dictionary<string, string> { ["refused"] = "gibberish" }, NegotiationStatus.ProtocolError, null)
            .SetArgDisplayNames("unknown refusal code");
        yield return new TestCaseData(new Dictionary<string, string> { ["refused"] = "agreed" }, NegotiationStatus.ProtocolError, null)
            .SetArgDisplayNames("refusal saying agreed");
        yield return new TestCaseData(new Dictionary<string, string> { ["chosen"] = "9.0.0" }, NegotiationStatus.ProtocolError, null)
            .SetArgDisplayNames("chosen version not offered");
        yield return new TestCaseData(new Dictionary<string, string> { ["chosen"] = "three" }, NegotiationStatus.ProtocolError, null)
            .SetArgDisplayNames("chosen unreadable");
        yield return new TestCaseData(new Dictionary<string, string> { ["chosen"] = "3.1.0", ["supported"] = "x" }, NegotiationStatus.ProtocolError, null)
            .SetArgDisplayNames("supported unreadable");
        yield return new TestCaseData(new Dictionary<string, string> { ["chosen"] = "3.1.0", ["sunset"] = "soon" }, NegotiationStatus.ProtocolError, null)
            .SetArgDisplayNames("sunset unreadable");
        yield return new TestCaseData(new Dictionary<string, string>(), NegotiationStatus.PeerOfferedNothing, null)
            .SetArgDisplayNames("server did not negotiate");
    }

    [TestCaseSource(nameof(Answers))]
    public void ReadAnswer_ServerEntries_InterpretsThem(Dictionary<string, string> entries, NegotiationStatus status, string? version)
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Client);
        var offered = negotiator.Offer();

        var result = negotiator.ReadAnswer(offered, null, key => entries.GetValueOrDefault(key["flagkit-".Length..key.IndexOf("-wallet-api", StringComparison.Ordinal)]));

        Assert.That(result.Status, Is.EqualTo(status), result.Message);
        Assert.That(result.Version?.ToString(), Is.EqualTo(version));
        Assert.That(result.Offered, Is.EqualTo(offered));
    }

    [Test]
    public void ReadAnswer_Refusal_ExposesWhatTheServerSupports()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Client);
        var answer = new Dictionary<string, string>
        {
            [ContractWire.RefusedKey("wallet-api")] = "no-overlap",
            [ContractWire.SupportedKey("wallet-api")] = "4.1.0, 4.0.0",
        };

        var result = negotiator.ReadAnswer(negotiator.Offer(), null, answer.GetValueOrDefault);

        Assert.That(result.Supported.Select(v => v.ToString()), Is.EqualTo(new[] { "4.1.0", "4.0.0" }));
        Assert.That(result.Message, Is.EqualTo("Contract 'wallet-api': the server refused (no-overlap); it supports 4.1.0, 4.0.0; this side offered 3.1.0, 3.0.0, 2.5.0."));
    }

    [Test]
    public void ReadAnswer_DeprecatedChoice_CarriesServerSunset()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(), ContractSide.Client);
        var answer = new Dictionary<string, string>
        {
            [ContractWire.ChosenKey("wallet-api")] = "2.5.0",
            [ContractWire.SunsetKey("wallet-api")] = "2026-12-31T00:00:00Z",
        };

        var result = negotiator.ReadAnswer(negotiator.Offer(), null, answer.GetValueOrDefault);

        Assert.That(result.IsDeprecated, Is.True);
        Assert.That(result.Sunset, Is.EqualTo(Sunset));
    }

    [Test]
    public void ReadAnswer_ServerDidNotNegotiateAndContractAssumes_AgreesOnAssumed()
    {
        var negotiator = new ContractNegotiator(ContractTests.WalletApi(SemanticVersion.Parse("2.5.0")), ContractSide.Client);

        var result = negotiator.ReadAnswer(negotiator.Offer(), null, _ => null);

        Assert.That(result.Status, Is.EqualTo(NegotiationStatus.Agreed));
        Assert.That(result.Version, Is.EqualTo(SemanticVersion.Parse("2.5.0")));
        Assert.That(result.AssumedForSilentPeer, Is.True);
    }

    [Test]
    public void Negotiate_EveryOutcome_IsCountedPerContractVersionAndSide()
    {
        var contract = new Contract("metrics-test-contract", [ContractVersion.Active("3.1.0"), ContractVersion.Deprecated("2.5.0", Sunset)]);
        using var metrics = new MetricsRecorder("FlagKit.Versioning", "flagkit.contract.negotiations", tags => tags["flagkit.contract.name"] == "metrics-test-contract");
        var server = new ContractNegotiator(contract, ContractSide.Server);
        var client = new ContractNegotiator(contract, ContractSide.Client);

        server.NegotiateOffer("3.1.0");
        server.NegotiateOffer("3.1.0, 2.5.0");
        server.NegotiateOffer("2.5.0");
        server.NegotiateOffer("9.0.0");
        client.ReadAnswer(client.Offer(), null, key => key == ContractWire.ChosenKey("metrics-test-contract") ? "3.1.0" : null);

        Assert.Multiple(() =>
        {
            Assert.That(metrics.Sum(t => t["flagkit.contract.side"] == "server" && t["flagkit.contract.version"] == "3.1.0"), Is.EqualTo(2));
            Assert.That(metrics.Sum(t => t["flagkit.contract.side"] == "server" && t["flagkit.contract.version"] == "2.5.0" && t["flagkit.contract.deprecated"] == "true"), Is.EqualTo(1));
            Assert.That(metrics.Sum(t => t["flagkit.contract.side"] == "server" && t["flagkit.contract.outcome"] == "no-overlap" && t["flagkit.contract.version"] == "none"), Is.EqualTo(1));
            Assert.That(metrics.Sum(t => t["flagkit.contract.side"] == "client" && t["flagkit.contract.version"] == "3.1.0" && t["flagkit.contract.outcome"] == "agreed"), Is.EqualTo(1));
        });
    }

    [Test]
    public void Constructor_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => _ = new ContractNegotiator(null!, ContractSide.Server));
    }
}
