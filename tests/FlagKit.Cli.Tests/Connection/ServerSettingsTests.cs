using System.Collections;
using FlagKit.Cli.Connection;

namespace FlagKit.Cli.Tests.Connection;

[TestFixture]
public sealed class ServerSettingsTests
{
    private string _directory = "";
    private string _config = "";

    [SetUp]
    public void SetUp()
    {
        _directory = Directory.CreateTempSubdirectory("flagkit-settings-").FullName;
        _config = Path.Combine(_directory, "config.json");
        File.WriteAllText(_config, """{ "url": "http://config:1", "key": "config-key", "environment": "config-env" }""");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    private static Hashtable Variables(string? url = null, string? key = null, string? env = null, string? config = null) => new()
    {
        ["FLAGKIT_URL"] = url,
        ["FLAGKIT_KEY"] = key,
        ["FLAGKIT_ENV"] = env,
        ["FLAGKIT_CONFIG"] = config,
    };

    [Test]
    public void Resolve_FlagsVariablesAndFile_FlagsWin()
    {
        var settings = ServerSettings.Resolve("http://flag:1", "flag-key", "flag-env", _config, Variables("http://var:1", "var-key", "var-env"));
        Assert.That((settings.Url.OriginalString, settings.Key, settings.Environment), Is.EqualTo(("http://flag:1", "flag-key", "flag-env")));
    }

    [Test]
    public void Resolve_Actor_FlagThenVariableThenFile()
    {
        File.WriteAllText(_config, """{ "actor": "file-actor" }""");
        var variables = Variables(config: _config);

        var fromFile = ServerSettings.Resolve(null, null, null, null, variables);
        variables["FLAGKIT_ACTOR"] = "var-actor";
        var fromVariable = ServerSettings.Resolve(null, null, null, null, variables);
        var fromFlag = ServerSettings.Resolve(null, null, null, null, variables, actorFlag: "flag-actor");

        Assert.That((fromFile.Actor, fromVariable.Actor, fromFlag.Actor), Is.EqualTo(("file-actor", "var-actor", "flag-actor")));
    }

    [Test]
    public void Resolve_NoActorAnywhere_Null()
    {
        File.WriteAllText(_config, "{}");

        Assert.That(ServerSettings.Resolve(null, null, null, _config, Variables()).Actor, Is.Null);
    }

    [Test]
    public void Resolve_VariablesAndFile_VariablesWin()
    {
        var settings = ServerSettings.Resolve(null, null, null, _config, Variables("http://var:1", "var-key", "var-env"));
        Assert.That((settings.Url.OriginalString, settings.Key, settings.Environment), Is.EqualTo(("http://var:1", "var-key", "var-env")));
    }

    [Test]
    public void Resolve_FileOnly_FileIsUsed()
    {
        var settings = ServerSettings.Resolve(null, null, null, null, Variables(), defaultConfigPath: _config);
        Assert.That((settings.Url.OriginalString, settings.Key, settings.Environment, settings.ConfigPath), Is.EqualTo(("http://config:1", "config-key", "config-env", _config)));
    }

    [Test]
    public void Resolve_NothingGiven_Defaults()
    {
        var absentDefault = Path.Combine(_directory, "absent", "config.json");
        var settings = ServerSettings.Resolve(null, null, null, null, Variables(), absentDefault);
        Assert.That(
            (settings.Url.OriginalString, settings.Key, settings.Environment, settings.ConfigPath),
            Is.EqualTo((ServerSettings.DefaultUrl, (string?)null, ServerSettings.DefaultEnvironment, (string?)null)));
    }

    [Test]
    public void Resolve_ConfigNamedByVariable_IsUsed()
    {
        var settings = ServerSettings.Resolve(null, null, null, null, Variables(config: _config), Path.Combine(_directory, "absent.json"));
        Assert.That(settings.Environment, Is.EqualTo("config-env"));
    }

    [Test]
    public void Resolve_NamedConfigFileMissing_FailsWithUsage()
    {
        var ex = Assert.Throws<CommandFailedException>(() => ServerSettings.Resolve(null, null, null, Path.Combine(_directory, "nope.json"), Variables()));
        Assert.That(ex!.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(ex.Message, Does.Contain("nope.json").And.Contain("does not exist"));
    }

    [Test]
    public void Resolve_ConfigFileNotJson_FailsWithInvalidNamingFileAndLine()
    {
        File.WriteAllText(_config, "{\n  \"url\": \n}");
        var ex = Assert.Throws<CommandFailedException>(() => ServerSettings.Resolve(null, null, null, _config, Variables()));
        Assert.That(ex!.ExitCode, Is.EqualTo(ExitCodes.Invalid));
        Assert.That(ex.Message, Does.Contain(_config).And.Contain("line 3"));
    }

    [Test]
    public void Resolve_UrlNotHttp_FailsWithUsage()
    {
        var ex = Assert.Throws<CommandFailedException>(() => ServerSettings.Resolve("ftp://x", null, null, _config, Variables()));
        Assert.That(ex!.ExitCode, Is.EqualTo(ExitCodes.Usage));
    }
}
