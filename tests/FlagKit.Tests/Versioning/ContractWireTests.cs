using FlagKit.Versioning;

namespace FlagKit.Tests.Versioning;

public sealed class ContractWireTests
{
    [Test]
    public void Keys_ArePrefixedLowerCaseNames()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ContractWire.OfferKey("wallet-api"), Is.EqualTo("flagkit-offer-wallet-api"));
            Assert.That(ContractWire.ChosenKey("wallet-api"), Is.EqualTo("flagkit-chosen-wallet-api"));
            Assert.That(ContractWire.SupportedKey("wallet-api"), Is.EqualTo("flagkit-supported-wallet-api"));
            Assert.That(ContractWire.SunsetKey("wallet-api"), Is.EqualTo("flagkit-sunset-wallet-api"));
            Assert.That(ContractWire.RefusedKey("wallet-api"), Is.EqualTo("flagkit-refused-wallet-api"));
        });
    }

    [TestCase(null, new string[0])]
    [TestCase("", new string[0])]
    [TestCase("   ", new string[0])]
    [TestCase("3.1.0", new[] { "3.1.0" })]
    [TestCase("3.1.0, 3.0.0", new[] { "3.1.0", "3.0.0" })]
    [TestCase(" 3.1.0 ,3.0.0,3.1.0", new[] { "3.1.0", "3.0.0" })]
    [TestCase("3.2.0-beta.1,3.1.0", new[] { "3.2.0-beta.1", "3.1.0" })]
    public void TryParseVersions_ValidList_ReturnsVersionsInOrderWithoutDuplicates(string? value, string[] expected)
    {
        Assert.That(ContractWire.TryParseVersions(value, out var versions, out var error), Is.True);
        Assert.That(error, Is.Null);
        Assert.That(versions.Select(v => v.ToString()), Is.EqualTo(expected));
    }

    [TestCase("3.1", "at index 0", "expected '.' and the patch version")]
    [TestCase("3.1.0,,3.0.0", "at index 6", "the text is empty")]
    [TestCase("3.1.0, v3.0.0", "at index 6", "leading 'v'")]
    [TestCase("3.1.0+build", "at index 0", "build metadata")]
    public void TryParseVersions_InvalidList_SaysWhichEntry(string value, string where, string problem)
    {
        Assert.That(ContractWire.TryParseVersions(value, out var versions, out var error), Is.False);
        Assert.That(versions, Is.Empty);
        Assert.That(error, Does.Contain(where).And.Contain(problem));
    }

    [Test]
    public void TryParseVersions_TooManyVersions_Fails()
    {
        var value = string.Join(",", Enumerable.Range(0, 65).Select(i => $"1.0.{i}"));

        Assert.That(ContractWire.TryParseVersions(value, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("more than 64 versions"));
    }

    [Test]
    public void FormatStatus_EveryStatus_RoundTrips()
    {
        foreach (var status in Enum.GetValues<NegotiationStatus>())
        {
            Assert.That(ContractWire.TryParseStatus(ContractWire.FormatStatus(status), out var parsed), Is.True, status.ToString());
            Assert.That(parsed, Is.EqualTo(status));
        }

        Assert.That(ContractWire.TryParseStatus("who-knows", out _), Is.False);
    }

    [Test]
    public void AnswerEntries_DeprecatedChoice_CarriesChosenSupportedAndSunset()
    {
        var result = ContractTests.WalletApi().Negotiate(ContractTests.Parse("2.5.0"));

        Assert.That(ContractWire.AnswerEntries(result), Is.EqualTo(new KeyValuePair<string, string>[]
        {
            new("flagkit-supported-wallet-api", "3.1.0, 3.0.0, 2.5.0"),
            new("flagkit-chosen-wallet-api", "2.5.0"),
            new("flagkit-sunset-wallet-api", "2026-12-31T00:00:00Z"),
        }));
    }

    [Test]
    public void AnswerEntries_Refusal_CarriesSupportedAndCode()
    {
        var result = ContractTests.WalletApi().Negotiate(ContractTests.Parse("9.0.0"));

        Assert.That(ContractWire.AnswerEntries(result), Is.EqualTo(new KeyValuePair<string, string>[]
        {
            new("flagkit-supported-wallet-api", "3.1.0, 3.0.0, 2.5.0"),
            new("flagkit-refused-wallet-api", "no-overlap"),
        }));
    }

    [Test]
    public void HttpDeprecationHeaders_DeprecatedChoice_WritesRfcHeaders()
    {
        var contract = new Contract("wallet-api", [ContractVersion.Deprecated("2.5.0", new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero))]);
        var result = contract.Negotiate(ContractTests.Parse("2.5.0"));

        var headers = ContractWire.HttpDeprecationHeaders(result, DateTimeOffset.UnixEpoch);

        Assert.That(headers, Is.EqualTo(new KeyValuePair<string, string>[]
        {
            new("Deprecation", "@1780272000"),
            new("Sunset", "Thu, 31 Dec 2026 00:00:00 GMT"),
        }));
    }

    [Test]
    public void HttpDeprecationHeaders_DeprecationDateUnknown_UsesNow()
    {
        var result = ContractTests.WalletApi().Negotiate(ContractTests.Parse("2.5.0"));

        var headers = ContractWire.HttpDeprecationHeaders(result, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

        Assert.That(headers[0], Is.EqualTo(new KeyValuePair<string, string>("Deprecation", "@1700000000")));
    }

    [Test]
    public void HttpDeprecationHeaders_ActiveChoice_IsEmpty()
    {
        var result = ContractTests.WalletApi().Negotiate(ContractTests.Parse("3.1.0"));

        Assert.That(ContractWire.HttpDeprecationHeaders(result, DateTimeOffset.UnixEpoch), Is.Empty);
    }
}
