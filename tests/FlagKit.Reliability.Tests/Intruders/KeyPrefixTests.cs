using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;

namespace FlagKit.Reliability.Tests.Intruders;

/// <summary>
/// What <c>ListApiKeys</c> shows of a key: a short fixed prefix (the role prefix and 4 characters), whatever the key.
/// Found by an outside attack: a configured (bootstrap) key had a third of its secret kept and shown as its prefix.
/// </summary>
[TestFixture]
public sealed class KeyPrefixTests
{
    private const string ShortConfiguredKey = "abcdefghijklmnopqrstuvwx";

    [Test]
    public async Task ListApiKeys_ConfiguredAndCreatedKeys_ShowAShortFixedPrefixOnly()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(new Dictionary<string, string?>
        {
            ["FlagKit:Server:BootstrapSdkKeys:staging"] = ShortConfiguredKey,
        });
        CreateApiKeyResponse created = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "ops", Role = ApiKeyRole.Admin });

        Dictionary<string, string> prefixes = (await server.Admin.ListApiKeysAsync(new ListApiKeysRequest())).Keys.ToDictionary(k => k.Id, k => k.Prefix);
        ListApiKeysResponse listed = await server.Admin.ListApiKeysAsync(new ListApiKeysRequest());
        string Prefix(Func<ApiKeyInfo, bool> which) => listed.Keys.Single(which).Prefix;

        Assert.That(Prefix(k => k.Environment == "staging"), Is.EqualTo("abcd…"), "4 characters of a 24-character configured key, not a third of it");
        Assert.That(Prefix(k => k.Environment == TestFlagServer.Environment), Is.EqualTo(TestFlagServer.SdkKey[..("fk_sdk_".Length + 4)] + "…"));
        Assert.That(Prefix(k => k.Id == created.Key.Id), Is.EqualTo(created.Secret[..("fk_admin_".Length + 4)] + "…"));
        Assert.That(created.Key.Prefix, Is.EqualTo(Prefix(k => k.Id == created.Key.Id)), "the creation answer shows the same");
        Assert.That(prefixes.Values, Has.All.Length.LessThanOrEqualTo("fk_admin_".Length + 4 + 1));
    }
}
