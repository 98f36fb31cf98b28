using FlagKit.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace FlagKit.Tests.DependencyInjection;

public sealed class FlagKitOptionsBinderTests
{
    [Test]
    public void Bind_EveryKey_IsCopiedCaseInsensitively()
    {
        IConfiguration section = Section(new()
        {
            ["FlagKit:serverUrl"] = "https://flags.internal:5001",
            ["FlagKit:ApiKey"] = "sdk-123",
            ["FlagKit:Environment"] = "production",
            ["FlagKit:AppName"] = "wallet",
            ["FlagKit:AppVersion"] = "4.2.0",
            ["FlagKit:CacheDirectory"] = "/var/cache/flagkit",
            ["FlagKit:StartTimeout"] = "00:00:03",
            ["FlagKit:ConnectTimeout"] = "00:00:04",
            ["FlagKit:ReconnectMinDelay"] = "00:00:00.250",
            ["FlagKit:ReconnectMaxDelay"] = "00:01:00",
            ["FlagKit:FailedRetryDelay"] = "00:05:00",
            ["FlagKit:WaitForReadyOnStart"] = "false",
        });
        var options = new FlagKitOptions();

        FlagKitOptionsBinder.Bind(section, options);

        Assert.That(options.ServerUrl, Is.EqualTo("https://flags.internal:5001"));
        Assert.That(options.ApiKey, Is.EqualTo("sdk-123"));
        Assert.That(options.Environment, Is.EqualTo("production"));
        Assert.That(options.AppName, Is.EqualTo("wallet"));
        Assert.That(options.AppVersion, Is.EqualTo("4.2.0"));
        Assert.That(options.CacheDirectory, Is.EqualTo("/var/cache/flagkit"));
        Assert.That(options.StartTimeout, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(options.ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(4)));
        Assert.That(options.ReconnectMinDelay, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
        Assert.That(options.ReconnectMaxDelay, Is.EqualTo(TimeSpan.FromMinutes(1)));
        Assert.That(options.FailedRetryDelay, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(options.WaitForReadyOnStart, Is.False);
    }

    [Test]
    public void Bind_MissingKeys_KeepDefaults()
    {
        var options = new FlagKitOptions();

        FlagKitOptionsBinder.Bind(Section(new() { ["FlagKit:FlagsFile"] = "flags.json" }), options);

        Assert.That(options.FlagsFile, Is.EqualTo("flags.json"));
        Assert.That(options.StartTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(options.WaitForReadyOnStart, Is.True);
    }

    [TestCase("StartTimeout", "5s", "FlagKit:StartTimeout: '5s' is not a duration")]
    [TestCase("ReconnectMaxDelay", "soon", "FlagKit:ReconnectMaxDelay: 'soon' is not a duration")]
    [TestCase("WaitForReadyOnStart", "yes", "FlagKit:WaitForReadyOnStart: 'yes' is not true or false")]
    public void Bind_ValueThatDoesNotParse_ThrowsNamingKeyAndValue(string key, string value, string expected)
    {
        IConfiguration section = Section(new() { [$"FlagKit:{key}"] = value });

        Assert.That(() => FlagKitOptionsBinder.Bind(section, new FlagKitOptions()), Throws.InvalidOperationException.With.Message.Contains(expected));
    }

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("FlagKit");
}
