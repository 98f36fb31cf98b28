using FlagKit.Server.Configuration;

namespace FlagKit.Server.Tests.Store;

/// <summary>The store settings are checked at start, with a message naming the setting.</summary>
public sealed class StoreOptionsTests
{
    [Test]
    public void Validate_UnknownStore_NamesSettingAndChoices()
    {
        var options = new FlagServerOptions { Store = "mysql" };

        var error = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.That(error!.Message, Does.Contain("FlagKit:Server:Store").And.Contain("'mysql'").And.Contain("sqlite").And.Contain("postgres"));
    }

    [Test]
    public void Validate_PostgresWithoutConnectionString_NamesSettingAndVariable()
    {
        var options = new FlagServerOptions { Store = "postgres" };
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("FLAGKIT_POSTGRES")))
        {
            Assert.That(options.Validate, Throws.Nothing, "FLAGKIT_POSTGRES is set in this environment and stands in for the setting");
            return;
        }

        var error = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.That(error!.Message, Does.Contain("FlagKit:Server:PostgresConnectionString").And.Contain("FLAGKIT_POSTGRES"));
    }

    [TestCase("sqlite")]
    [TestCase("SQLite")]
    [TestCase("postgres")]
    public void Validate_KnownStore_Accepted(string store)
    {
        var options = new FlagServerOptions { Store = store, PostgresConnectionString = "Host=127.0.0.1" };

        Assert.That(options.Validate, Throws.Nothing);
    }
}
