using System.Collections.Concurrent;
using FlagKit.Sources;

namespace FlagKit.LoadTests;

/// <summary>One SDK client given every replica's address, and the time it applied each revision (from FlagsChanged).</summary>
internal sealed class ReplicaLoadClient : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, DateTimeOffset> _applied = new();

    private ReplicaLoadClient(GrpcFlagSource source, FlagClient client)
    {
        Source = source;
        Client = client;
        client.FlagsChanged += (_, e) => _applied.TryAdd(e.Revision, DateTimeOffset.UtcNow);
    }

    public GrpcFlagSource Source { get; }

    public FlagClient Client { get; }

    public static ReplicaLoadClient Start(IReadOnlyList<Uri> replicas, HttpMessageHandler handler)
    {
        var options = new GrpcFlagSourceOptions
        {
            ApiKey = ServerProcess.SdkKey,
            Environment = ServerProcess.Environment,
            AppName = "replica-load-test",
            AppVersion = "1.0.0",
            HttpHandler = handler,
            StartTimeout = TimeSpan.FromSeconds(60),
        };
        foreach (var r in replicas)
        {
            options.ServerUrls.Add(r);
        }

        var source = new GrpcFlagSource(options);
        var client = new FlagClient(source);
        _ = client.StartAsync();
        return new ReplicaLoadClient(source, client);
    }

    /// <summary>When the client applied a revision (or a later one first), or null.</summary>
    public DateTimeOffset? AppliedAt(long revision) =>
        _applied.Where(p => p.Key >= revision).Select(p => (DateTimeOffset?)p.Value).Min();

    public void Reset() => _applied.Clear();

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
