using FlagKit.Server.Tests;
using FlagKit.Sources;

namespace FlagKit.Cli.Tests.Infrastructure;

/// <summary>A real SDK client (<see cref="FlagClient"/> over <see cref="GrpcFlagSource"/>) connected to a test environment.</summary>
internal sealed class ConnectedSdk : IAsyncDisposable
{
    private ConnectedSdk(FlagClient client, string instanceId)
    {
        Client = client;
        InstanceId = instanceId;
    }

    public FlagClient Client { get; }

    /// <summary>The id the server lists this instance under.</summary>
    public string InstanceId { get; }

    /// <summary>Starts the client and returns once the server lists it as having applied the current revision.</summary>
    public static async Task<ConnectedSdk> ConnectAsync(TestEnvironment environment, string sdkKey, string appName)
    {
        var source = new GrpcFlagSource(new GrpcFlagSourceOptions
        {
            ServerUrl = TestEnvironment.Server.Address,
            ApiKey = sdkKey,
            Environment = environment.Name,
            AppName = appName,
            AppVersion = "1.0.0",
        });
        var client = new FlagClient(source);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.StartAsync(timeout.Token);
        await client.WaitUntilReadyAsync(timeout.Token);
        await environment.WaitUntilAckedAsync(source.InstanceId, client.Snapshot.Revision);
        return new ConnectedSdk(client, source.InstanceId);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
