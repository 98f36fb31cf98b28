using FlagKit.Cli.Tests.Infrastructure;
using FlagKit.Server.Tests;

// In the root namespace of the tests, so that it runs once for every fixture in the assembly.
namespace FlagKit.Cli.Tests;

/// <summary>
/// One real flag server (in-process, 127.0.0.1 port 0, temp SQLite file) for the whole CLI test assembly. Tests
/// stay independent by each working in an environment of its own (<see cref="TestEnvironment"/>).
/// </summary>
[SetUpFixture]
public sealed class CliServer
{
    private static TestFlagServer? _server;

    public static TestFlagServer Server => _server ?? throw new InvalidOperationException("The CLI test server is not running.");

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await TestFlagServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
