using FlagKit.DependencyInjection;

namespace FlagKit.Tests.DependencyInjection;

public sealed class FlagKitOptionsValidatorTests
{
    private static readonly object[] Invalid =
    [
        new object[] { "nothing set", new FlagKitOptions(), "set ServerUrl (with ApiKey and Environment)" },
        new object[] { "both server and file", Server(o => o.FlagsFile = "flags.json"), "either ServerUrl or FlagsFile, not both" },
        new object[] { "relative url", Server(o => o.ServerUrl = "flags.internal:5000"), "FlagKit:ServerUrl must be an absolute http:// or https:// address; it is 'flags.internal:5000'" },
        new object[] { "ftp url", Server(o => o.ServerUrl = "ftp://flags.internal"), "FlagKit:ServerUrl must be an absolute http://" },
        new object[] { "no api key", Server(o => o.ApiKey = " "), "FlagKit:ApiKey is required" },
        new object[] { "no environment", Server(o => o.Environment = null), "FlagKit:Environment is required" },
        new object[] { "negative start timeout", Server(o => o.StartTimeout = TimeSpan.FromSeconds(-1)), "FlagKitOptions.StartTimeout must be between 00:00:00 and 1.00:00:00" },
        new object[] { "zero connect timeout", Server(o => o.ConnectTimeout = TimeSpan.Zero), "FlagKitOptions.ConnectTimeout must be between 00:00:00 exclusive and 1.00:00:00" },
        new object[] { "zero min delay", Server(o => o.ReconnectMinDelay = TimeSpan.Zero), "FlagKitOptions.ReconnectMinDelay must be between 00:00:00 exclusive and 1.00:00:00" },
        new object[] { "max below min", Server(o => o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(100)), "FlagKit:ReconnectMaxDelay (00:00:00.1000000) must be at least ReconnectMinDelay (00:00:00.5000000)" },
        new object[] { "connect timeout over a day", Server(o => o.ConnectTimeout = TimeSpan.FromDays(2)), "FlagKitOptions.ConnectTimeout must be between 00:00:00 exclusive and 1.00:00:00" },
        new object[] { "zero failed retry", Server(o => o.FailedRetryDelay = TimeSpan.Zero), "FlagKitOptions.FailedRetryDelay must be between 00:00:00 exclusive and 1.00:00:00" },
        new object[] { "telemetry interval under a second", Server(o => o.TelemetryInterval = TimeSpan.FromMilliseconds(500)), "FlagKitOptions.TelemetryInterval must be between 00:00:01 and 1.00:00:00" },
    ];

    [TestCaseSource(nameof(Invalid))]
    public void Validate_InvalidSetting_FailsNamingIt(string scenario, FlagKitOptions options, string expected)
    {
        var result = new FlagKitOptionsValidator().Validate(null, options);

        Assert.That(result.Failed, Is.True, scenario);
        Assert.That(result.FailureMessage, Does.Contain(expected), scenario);
    }

    [Test]
    public void Validate_ServerWithKeyAndEnvironment_Succeeds()
    {
        Assert.That(new FlagKitOptionsValidator().Validate(null, Server(_ => { })).Succeeded, Is.True);
    }

    [Test]
    public void Validate_FlagsFileAlone_Succeeds()
    {
        Assert.That(new FlagKitOptionsValidator().Validate(null, new FlagKitOptions { FlagsFile = "flags.json" }).Succeeded, Is.True);
    }

    [Test]
    public void Validate_SeveralProblems_ReportsEveryOne()
    {
        var result = new FlagKitOptionsValidator().Validate(null, new FlagKitOptions { ServerUrl = "http://x:1", ReconnectMinDelay = TimeSpan.Zero });

        Assert.That(result.Failures!.Count(), Is.EqualTo(3));
    }

    [Test]
    public void Validate_NamedOptions_NameTheClientsOptionsInRangeErrors()
    {
        var result = new FlagKitOptionsValidator().Validate("staging", Server(o => o.ConnectTimeout = TimeSpan.Zero));

        Assert.That(result.FailureMessage, Does.Contain("staging.ConnectTimeout must be between 00:00:00 exclusive and 1.00:00:00"));
    }

    private static FlagKitOptions Server(Action<FlagKitOptions> change)
    {
        var options = new FlagKitOptions { ServerUrl = "http://127.0.0.1:5000", ApiKey = "sdk-key", Environment = "production" };
        change(options);
        return options;
    }
}
