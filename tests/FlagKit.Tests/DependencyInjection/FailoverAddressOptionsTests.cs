using FlagKit.DependencyInjection;
using FlagKit.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlagKit.Tests.DependencyInjection;

/// <summary><c>FlagKit:ServerUrl</c> with several replicas' addresses, separated by commas.</summary>
public sealed class FailoverAddressOptionsTests
{
    [Test]
    public async Task AddFlagKit_CommaSeparatedServerUrl_EveryAddressReachesTheGrpcSource()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FlagKit:ServerUrl"] = "http://flags-1:5080, http://flags-2:5080,http://flags-3:5080",
            ["FlagKit:ApiKey"] = "sdk-123",
            ["FlagKit:Environment"] = "production",
        }).Build();
        await using ServiceProvider provider = new ServiceCollection().AddFlagKit(configuration.GetSection("FlagKit")).BuildServiceProvider();

        var source = (GrpcFlagSource)provider.GetRequiredService<FlagSource>();

        Assert.That(source.Options.ServerUrl, Is.EqualTo(new Uri("http://flags-1:5080")));
        Assert.That(source.Options.ServerUrls, Is.EqualTo(new[] { new Uri("http://flags-2:5080"), new Uri("http://flags-3:5080") }));
        Assert.That(source.CurrentServerUrl.Host, Does.StartWith("flags-"), "the source starts at one of them");
    }

    [Test]
    public void Validate_CommaSeparatedServerUrlWithABadOne_FailsNamingIt()
    {
        var options = new FlagKitOptions { ServerUrl = "http://flags-1:5080,flags-2:5080", ApiKey = "sdk-key", Environment = "production" };

        var result = new FlagKitOptionsValidator().Validate(null, options);

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain("FlagKit:ServerUrl must be an absolute http:// or https:// address; it is 'flags-2:5080'"));
    }
}
