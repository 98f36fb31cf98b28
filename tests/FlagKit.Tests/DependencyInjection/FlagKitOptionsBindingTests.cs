using FlagKit.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlagKit.Tests.DependencyInjection;

/// <summary>
/// <c>AddFlagKit(section)</c> binds <see cref="FlagKitOptions"/> with the configuration-binding source generator
/// (the reflection binder would fail the build: the package is AOT-compatible and warnings are errors).
/// </summary>
public sealed class FlagKitOptionsBindingTests
{
    [Test]
    public async Task AddFlagKit_EveryKey_IsBoundCaseInsensitively()
    {
        await using ServiceProvider provider = Provider(new()
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
            ["FlagKit:ServeCacheWhileConnecting"] = "true",
            ["FlagKit:CountExposures"] = "false",
            ["FlagKit:TelemetryInterval"] = "00:00:02",
        });

        FlagKitOptions options = provider.GetRequiredService<IOptions<FlagKitOptions>>().Value;

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
        Assert.That(options.ServeCacheWhileConnecting, Is.True);
        Assert.That(options.CountExposures, Is.False);
        Assert.That(options.TelemetryInterval, Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public async Task AddFlagKit_MissingKeys_KeepDefaults()
    {
        await using ServiceProvider provider = Provider(new() { ["FlagKit:FlagsFile"] = "flags.json" });

        FlagKitOptions options = provider.GetRequiredService<IOptions<FlagKitOptions>>().Value;

        Assert.That(options.FlagsFile, Is.EqualTo("flags.json"));
        Assert.That(options.StartTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(options.WaitForReadyOnStart, Is.True);
        Assert.That(options.ServeCacheWhileConnecting, Is.False);
        Assert.That(options.ReconnectMaxDelay, Is.EqualTo(TimeSpan.FromSeconds(1)), "the source's own default, not the old 30 s");
        Assert.That(options.ReconnectMaxDelay, Is.EqualTo(new GrpcFlagSourceOptions().ReconnectMaxDelay));
    }

    [Test]
    public async Task AddFlagKit_ServerSettings_ReachTheGrpcSource()
    {
        await using ServiceProvider provider = Provider(new()
        {
            ["FlagKit:ServerUrl"] = "http://127.0.0.1:1",
            ["FlagKit:ApiKey"] = "sdk-123",
            ["FlagKit:Environment"] = "production",
            ["FlagKit:ServeCacheWhileConnecting"] = "true",
            ["FlagKit:ReconnectMinDelay"] = "00:00:00.250",
            ["FlagKit:ReconnectMaxDelay"] = "00:00:07",
        });

        var source = (GrpcFlagSource)provider.GetRequiredService<FlagSource>();

        Assert.That(source.Options.ServeCacheWhileConnecting, Is.True);
        Assert.That(source.Options.ReconnectMinDelay, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
        Assert.That(source.Options.ReconnectMaxDelay, Is.EqualTo(TimeSpan.FromSeconds(7)));
    }

    [Test]
    public async Task AddFlagKit_ReconnectMaxDelayUnset_TheGrpcSourceGetsOneSecond()
    {
        await using ServiceProvider provider = Provider(new()
        {
            ["FlagKit:ServerUrl"] = "http://127.0.0.1:1",
            ["FlagKit:ApiKey"] = "sdk-123",
            ["FlagKit:Environment"] = "production",
        });

        var source = (GrpcFlagSource)provider.GetRequiredService<FlagSource>();

        Assert.That(source.Options.ReconnectMaxDelay, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(source.Options.ServeCacheWhileConnecting, Is.False);
    }

    [TestCase("StartTimeout", "5s", "'FlagKit:StartTimeout' to type 'System.TimeSpan'")]
    [TestCase("ReconnectMaxDelay", "soon", "'FlagKit:ReconnectMaxDelay' to type 'System.TimeSpan'")]
    [TestCase("WaitForReadyOnStart", "yes", "'FlagKit:WaitForReadyOnStart' to type 'System.Boolean'")]
    public async Task AddFlagKit_ValueThatDoesNotConvert_ThrowsNamingTheKey(string key, string value, string expected)
    {
        await using ServiceProvider provider = Provider(new() { ["FlagKit:FlagsFile"] = "flags.json", [$"FlagKit:{key}"] = value });

        Assert.That(() => provider.GetRequiredService<IOptions<FlagKitOptions>>().Value, Throws.InvalidOperationException.With.Message.Contains(expected));
    }

    [Test]
    public async Task AddFlagKit_InvalidSettingInANestedSection_NamesTheSectionPath()
    {
        await using ServiceProvider provider = Provider(new() { ["Flags:Prod:ServerUrl"] = "http://127.0.0.1:1", ["Flags:Prod:Environment"] = "production" }, "Flags:Prod");

        Assert.That(
            () => provider.GetRequiredService<IOptions<FlagKitOptions>>().Value,
            Throws.InstanceOf<OptionsValidationException>().With.Message.Contains("Flags:Prod:ApiKey is required"));
    }

    private static ServiceProvider Provider(Dictionary<string, string?> values, string section = "FlagKit")
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new ServiceCollection().AddFlagKit(configuration.GetSection(section)).BuildServiceProvider();
    }
}
