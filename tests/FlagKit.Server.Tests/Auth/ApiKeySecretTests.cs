using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;

namespace FlagKit.Server.Tests.Auth;

public sealed class ApiKeySecretTests
{
    [TestCase("abcdefghijklmnopqrstuvwx", "abcd…")]
    [TestCase("fk_sdk_test_key_production_0123456789abcdefgh", "fk_sdk_test…")]
    [TestCase("fk_admin_0123456789012345678901234567890123", "fk_admin_0123…")]
    [TestCase("fk_sdk_test_…", "fk_sdk_test…")]
    [TestCase("abcdefgh…", "abcd…")]
    public void Prefix_AnySecretOrStoredPrefix_RolePrefixAndFourCharacters(string secret, string expected) =>
        Assert.That(ApiKeySecret.Prefix(secret), Is.EqualTo(expected));

    [Test]
    public void Prefix_GeneratedKeys_ShowFourRandomCharacters()
    {
        var secret = ApiKeySecret.Generate(ApiKeyRole.Sdk);

        Assert.That(ApiKeySecret.Prefix(secret), Is.EqualTo(secret[..("fk_sdk_".Length + ApiKeySecret.ShownCharacters)] + "…"));
    }
}
