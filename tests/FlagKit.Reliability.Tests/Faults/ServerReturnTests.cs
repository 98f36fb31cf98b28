using System.Diagnostics;
using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using FlagKit.Sources;
using Google.Protobuf;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>
/// How fast a fleet of SDK clients comes back after the server was down long enough for their backoffs to grow: the
/// time from "server healthy again" to "client Ready at the latest revision", per client, with the SDK's default
/// reconnect settings. The SDK's backoff (full jitter, capped by <see cref="GrpcFlagSourceOptions.ReconnectMaxDelay"/>,
/// default 1 s) must be the only one: the gRPC channel's own reconnect backoff used to add seconds on top of it.
/// </summary>
/// <remarks>
/// 50 real clients against the real server process, killed and started again on the same port; <c>FLAGKIT_RETURN_ROUNDS</c>
/// sets the number of outages (default 2, so p99 is taken over 100 samples).
/// </remarks>
[TestFixture]
public sealed class ServerReturnTests
{
    private const int ClientCount = 50;

    // Down this long, a client's backoff ceiling has doubled past the cap (500 ms, 1 s, 1 s ...); without a cap
    // (the old default of 30 s) it would be at 4-8 s.
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(4);

    [Test]
    public async Task ServerDownThenBack_FiftyClients_P99ResyncWithinTwoSecondsOfHealthy()
    {
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("FLAGKIT_RETURN_ROUNDS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 2;
        await using ServerProcess server = await ServerProcess.StartAsync();
        var clients = new List<SdkClient>();
        var samples = new List<double>();
        try
        {
            var defaults = new GrpcFlagSourceOptions();
            for (int i = 0; i < ClientCount; i++)
            {
                GrpcFlagSourceOptions options = SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment);
                options.ReconnectMinDelay = defaults.ReconnectMinDelay;
                options.ReconnectMaxDelay = defaults.ReconnectMaxDelay;
                clients.Add(await SdkClient.StartAsync(options));
            }

            for (int round = 1; round <= rounds; round++)
            {
                long latest = await WriteAsync(server, round);
                await Wait.UntilAsync(() => clients.All(c => c.Client.Status == FlagClientStatus.Ready && c.Client.Snapshot.Revision == latest), $"round {round}: every client is Ready at revision {latest}", TimeSpan.FromSeconds(60));

                server.Kill();
                await Wait.UntilAsync(() => clients.All(c => c.Client.Status == FlagClientStatus.Stale), $"round {round}: every client saw the server go", TimeSpan.FromSeconds(30));
                await Task.Delay(Outage);
                Task<long> firstAnswer = FirstAnswerAsync(server.Address);
                await server.StartAgainAsync();
                long healthy = await firstAnswer;

                double[] resync = await TimeUntilReadyAsync(clients, latest, healthy);
                Assert.That(clients.Select(c => c.Source.Diagnostics.ChannelsCreated), Has.All.GreaterThan(0), "each reconnect attempt gets a new channel (no channel backoff)");
                samples.AddRange(resync);
                Array.Sort(resync);
                TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: {ClientCount} clients Ready at revision {latest} after the server was healthy: p50 {resync[resync.Length / 2]:F0} ms, max {resync[^1]:F0} ms"));
            }

            samples.Sort();
            double p99 = samples[(int)Math.Ceiling(samples.Count * 0.99) - 1];
            string figures = string.Create(CultureInfo.InvariantCulture, $"{rounds} outages x {ClientCount} clients: resync after healthy p50 {samples[samples.Count / 2]:F0} ms, p99 {p99:F0} ms, max {samples[^1]:F0} ms");
            TestContext.Out.WriteLine(figures);
            // The bound is the (2 s). Expected worst case: the rest of one capped wait (< 1 s) plus one connect,
            // Hello/Welcome and a resumed batch against a server that has just started (its first calls are JIT-compiled),
            // measured at ~1.1-1.3 s on this 2-core machine; the remaining ~0.7 s is the margin for a busy CI machine.
            Assert.That(p99, Is.LessThanOrEqualTo(2000), figures);
        }
        finally
        {
            foreach (SdkClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The moment the server first answers a call: probed every 10 ms, each time on a new channel (the admin channel of
    /// <see cref="ServerProcess"/> has the channel's own reconnect backoff and notices a returning server late).
    /// </summary>
    private static async Task<long> FirstAnswerAsync(Uri address)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(address);
            var admin = new FlagAdmin.FlagAdminClient(channel);
            try
            {
                await admin.ListEnvironmentsAsync(new ListEnvironmentsRequest(), new Grpc.Core.Metadata { { "authorization", "Bearer " + TestFlagServer.AdminKey } }, deadline: DateTime.UtcNow.AddSeconds(2));
                return Stopwatch.GetTimestamp();
            }
            catch (Grpc.Core.RpcException) when (Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(10);
            }
        }
    }

    /// <summary>Polls every client until it is Ready at <paramref name="revision"/>; the time each took from <paramref name="healthy"/>, in ms (0 for one back before the probe's answer).</summary>
    private static async Task<double[]> TimeUntilReadyAsync(List<SdkClient> clients, long revision, long healthy)
    {
        var took = new double[clients.Count];
        Array.Fill(took, double.NaN);
        while (took.Any(double.IsNaN))
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(healthy);
            Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), $"clients still not back after 60 s: {took.Count(double.IsNaN)}");
            for (int i = 0; i < clients.Count; i++)
            {
                if (double.IsNaN(took[i]) && clients[i].Client.Status == FlagClientStatus.Ready && clients[i].Client.Snapshot.Revision == revision)
                {
                    took[i] = Math.Max(0, elapsed.TotalMilliseconds);
                }
            }

            await Task.Delay(5);
        }

        return took;
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
                    Json = ByteString.CopyFromUtf8($$"""{ "key": "return", "kind": "number", "on": true, "variants": { "n": {{round}} }, "offVariant": "n", "defaultRule": { "variant": "n" } }"""),
                    Options = new WriteOptions { IdempotencyKey = "return-" + round.ToString(CultureInfo.InvariantCulture) },
                });
                return response.Revision;
            }
            catch (Grpc.Core.RpcException) when (Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
        }
    }
}
