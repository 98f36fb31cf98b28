using System.Diagnostics;
using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using FlagKit.Sources;
using Google.Protobuf;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>
/// The server process is killed and started again many times while SDK clients stay connected: after each restart
/// every client converges to a change made after the restart; reconnects are spread by jitter (the spread of the
/// server-side connect times is measured and reported), and no client hammers the server (attempts per restart
/// are counted and bounded).
/// </summary>
/// <remarks>
/// By default 3 restarts with 20 clients (CI time); <c>FLAGKIT_RELIABILITY_FULL=1</c> runs the 20 restarts with
/// 50 clients; <c>FLAGKIT_RESTARTS</c> / <c>FLAGKIT_RESTART_CLIENTS</c> set either. Clients reconnect with backoff
/// 200 ms .. 2 s (full jitter).
/// </remarks>
[TestFixture]
public sealed class ServerRestartTests
{
    private static bool Full => Environment.GetEnvironmentVariable("FLAGKIT_RELIABILITY_FULL") == "1";

    private static int Restarts => Setting("FLAGKIT_RESTARTS", Full ? 20 : 3);

    private static int Clients => Setting("FLAGKIT_RESTART_CLIENTS", Full ? 50 : 20);

    [Test]
    public async Task RestartedRepeatedly_ClientsStayConnected_AllConvergeEachTimeWithJitteredReconnects()
    {
        int restarts = Restarts;
        int clientCount = Clients;
        await using ServerProcess server = await ServerProcess.StartAsync(new Dictionary<string, string> { ["FlagKit:Server:HeartbeatInterval"] = "00:00:01" });
        var clients = new List<SdkClient>();
        var spreads = new List<double>();
        var firstReconnects = new List<double>();
        var attemptsPerClient = new List<double>();
        var maxAttempts = 0L;
        try
        {
            for (int i = 0; i < clientCount; i++)
            {
                GrpcFlagSourceOptions options = SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment);
                options.ReconnectMinDelay = TimeSpan.FromMilliseconds(200);
                options.ReconnectMaxDelay = TimeSpan.FromSeconds(2);
                clients.Add(await SdkClient.StartAsync(options));
            }

            long revision = await WriteAsync(server, 0);
            await Wait.UntilAsync(() => clients.All(c => c.Client.Snapshot.Revision == revision), "every client has the first revision", TimeSpan.FromSeconds(60));

            for (int round = 1; round <= restarts; round++)
            {
                long[] sessionsBefore = [.. clients.Select(c => c.Source.Diagnostics.Sessions)];
                server.Kill();
                TimeSpan startTook = await server.StartAgainAsync();
                DateTimeOffset up = DateTimeOffset.UtcNow;

                revision = await WriteAsync(server, round);
                long target = revision;
                await Wait.UntilAsync(() => clients.All(c => c.Client.Snapshot.Revision == target), () => $"restart {round}: every client converges to revision {target} ({clients.Count(c => c.Client.Snapshot.Revision == target)}/{clientCount})", TimeSpan.FromSeconds(60));

                ListInstancesResponse instances = await server.Admin.ListInstancesAsync(new ListInstancesRequest { Environment = TestFlagServer.Environment });
                Assert.That(instances.Instances, Has.Count.EqualTo(clientCount), "one stream per client after the restart, no duplicates");
                DateTimeOffset[] connectedAt = [.. instances.Instances.Select(i => i.ConnectedAt.ToDateTimeOffset()).Order()];
                double spread = (connectedAt[^1] - connectedAt[0]).TotalMilliseconds;
                spreads.Add(spread);
                firstReconnects.Add((connectedAt[0] - up).TotalMilliseconds);
                long[] attempts = [.. clients.Select((c, i) => c.Source.Diagnostics.Sessions - sessionsBefore[i])];
                attemptsPerClient.Add(attempts.Average());
                maxAttempts = Math.Max(maxAttempts, attempts.Max());
                TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"restart {round}: server up in {startTook.TotalSeconds:F1} s; {clientCount} clients reconnected over a spread of {spread:F0} ms; attempts per client avg {attempts.Average():F1}, max {attempts.Max()}"));

                // Without jitter a fleet reconnects in one instant; with it, the connects are spread out.
                Assert.That(connectedAt.Distinct().Count(), Is.GreaterThan(1), "reconnects all at the same instant");
                // Bounded: with backoff 200 ms .. 2 s, even a slow start cannot make a client try more than ~once per 100 ms.
                Assert.That(attempts.Max(), Is.LessThanOrEqualTo(Math.Max(10, (long)(startTook.TotalSeconds * 10) + 5)), "a client hammered the server");
            }

            spreads.Sort();
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{restarts} restarts x {clientCount} clients: reconnect spread median {spreads[spreads.Count / 2]:F0} ms, max {spreads[^1]:F0} ms; attempts per client per restart avg {attemptsPerClient.Average():F1}, max {maxAttempts}"));
        }
        finally
        {
            foreach (SdkClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<long> WriteAsync(ServerProcess server, int round)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                WriteResponse response = await server.Admin.PutDocumentAsync(new PutDocumentRequest
                {
                    Environment = TestFlagServer.Environment,
                    Kind = DocumentKind.Flag,
                    Json = ByteString.CopyFromUtf8($$"""{ "key": "round", "kind": "number", "on": true, "variants": { "n": {{round}} }, "offVariant": "n", "defaultRule": { "variant": "n" } }"""),
                    Options = new WriteOptions { IdempotencyKey = "round-" + round.ToString(CultureInfo.InvariantCulture) },
                });
                return response.Revision;
            }
            catch (Grpc.Core.RpcException) when (Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
        }
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : fallback;
}
