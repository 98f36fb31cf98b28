using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using FlagKit.Sources;
using Google.Protobuf;

namespace FlagKit.Reliability.Tests.Releases;

/// <summary>
/// A guarded release end to end with nothing synthetic but the traffic: the real server process, three real SDK clients
/// over the gRPC sync stream (telemetry every second), and a workload of many accounts that evaluate the flag and
/// record each operation's outcome with <see cref="FlagClient.StartOutcome"/>. The SDKs' summaries are the release's
/// only input: a failing treatment is rolled back by the server on its own, a healthy one ramps to 100 %.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class GuardedReleaseEndToEndTests
{
    private const string Flag = "checkout-v2";
    private const int Clients = 3;
    private static readonly TimeSpan ReleaseDeadline = TimeSpan.FromSeconds(60);
    private static readonly EvaluationContext[] ProbeAccounts = [.. Enumerable.Range(0, 200).Select(i => EvaluationContext.ForAccount($"probe-{i}"))];

    [Test]
    public async Task Release_TreatmentFailsMore_RollsBackByItselfAndHistorySaysWhy()
    {
        await using var server = await ServerProcess.StartAsync();
        await PutFlagAsync(server);
        await using var fleet = await Fleet.StartAsync(server, treatmentFailureRate: 0.06, controlFailureRate: 0.01);

        var started = await server.Admin.StartReleaseAsync(Plan(steps: [20, 50, 100], holdMs: 20_000));
        var ended = await WaitUntilEndedAsync(server, started.Id);

        Assert.That(ended.Status, Is.EqualTo(ReleaseRunStatus.RolledBack), ended.ToString);
        Assert.That(ended.TreatmentPercent, Is.Zero);
        Assert.That(ended.Verdict, Is.EqualTo("harm"));
        Assert.That(fleet.Completed, Is.GreaterThan(0), "the workload ran");
        var rollback = (await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment, Key = Flag, Limit = 1 })).Entries[0];
        Assert.That(rollback.Author, Is.EqualTo($"release:{started.Id}"));
        Assert.That(rollback.Comment, Does.Contain("errors").And.Contain("requests").And.EndWith("rolled back to 0 %"), rollback.ToString);
        Assert.That(TreatmentWeight(rollback), Is.Zero, "the rollback write serves the control to everyone");
        await Wait.UntilAsync(() => fleet.All(c => ProbeAccounts.All(a => !c.IsEnabled(Flag, a))), "every SDK serves only the control");
    }

    [Test]
    public async Task Release_HealthyTreatment_GoesThroughEveryStepAndCompletes()
    {
        await using var server = await ServerProcess.StartAsync();
        await PutFlagAsync(server);
        await using var fleet = await Fleet.StartAsync(server, treatmentFailureRate: 0.01, controlFailureRate: 0.01);

        var started = await server.Admin.StartReleaseAsync(Plan(steps: [20, 50, 100], holdMs: 3_000));
        var ended = await WaitUntilEndedAsync(server, started.Id);

        Assert.That(ended.Status, Is.EqualTo(ReleaseRunStatus.Completed), ended.ToString);
        Assert.That(ended.TreatmentPercent, Is.EqualTo(100));
        var writes = (await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment, Key = Flag, Limit = 10 })).Entries
            .Where(e => e.Author == $"release:{started.Id}").Select(TreatmentWeight).Reverse().ToArray();
        Assert.That(writes, Is.EqualTo(new[] { 20d, 50d, 100d }), "one write per step, in order");
        await Wait.UntilAsync(() => fleet.All(c => ProbeAccounts.All(a => c.IsEnabled(Flag, a))), "every SDK serves the treatment to everyone");
    }

    private static ReleaseStartRequest Plan(int[] steps, long holdMs) => new()
    {
        Environment = TestFlagServer.Environment,
        Flag = Flag,
        Treatment = "on",
        Control = "off",
        Steps = { steps },
        HoldMs = holdMs,
        // Twice the SDKs' telemetry interval, so that every evaluation sees reports from both arms even when late.
        IntervalMs = 2_000,
        MinimumSample = 200,
        Comment = "end-to-end test",
    };

    private static async Task<ReleaseInfo> WaitUntilEndedAsync(ServerProcess server, long id)
    {
        ReleaseInfo info = await server.Admin.GetReleaseAsync(new ReleaseGetRequest { Environment = TestFlagServer.Environment, Id = id });
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (info.Status == ReleaseRunStatus.Running && deadline.Elapsed < ReleaseDeadline)
        {
            await Task.Delay(200);
            info = await server.Admin.GetReleaseAsync(new ReleaseGetRequest { Environment = TestFlagServer.Environment, Id = id });
        }

        return info;
    }

    private static double TreatmentWeight(HistoryEntry entry)
    {
        using var json = System.Text.Json.JsonDocument.Parse(entry.AfterJson.ToStringUtf8());
        return json.RootElement.GetProperty("defaultRule").GetProperty("split").GetProperty("variants").EnumerateArray()
            .Single(v => v.GetProperty("variant").GetString() == "on").GetProperty("weight").GetDouble();
    }

    private static Task PutFlagAsync(ServerProcess server)
    {
        const string Json = """
            { "key": "checkout-v2", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off",
              "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 0 }, { "variant": "off", "weight": 100 } ] } } }
            """;
        return server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment, Kind = DocumentKind.Flag, Json = ByteString.CopyFromUtf8(Json),
        }).ResponseAsync;
    }

    /// <summary>
    /// Real SDK clients, each driven by a loop: a batch of 20 random accounts every 100 ms (about 600 operations a second
    /// in all) evaluates the flag and records the operation's outcome, failing at the rate of the variant it was served
    /// (seeded per client).
    /// </summary>
    /// <remarks>
    /// The rate is kept low on purpose. An SDK interval that spans a step change counts exposures at the old split; at a
    /// few thousand exposures a second that skew alone trips the sample-ratio guard and pauses the release at every step
    /// (reported as a defect of the release runner: the reports of the interval after a share write are counted as the new step's).
    /// </remarks>
    private sealed class Fleet : IAsyncDisposable
    {
        private readonly List<FlagClient> _clients;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _loops = [];
        private long _completed;

        private Fleet(List<FlagClient> clients) => _clients = clients;

        public long Completed => Interlocked.Read(ref _completed);

        public static async Task<Fleet> StartAsync(ServerProcess server, double treatmentFailureRate, double controlFailureRate)
        {
            var clients = new List<FlagClient>();
            for (int i = 0; i < Clients; i++)
            {
                var source = new GrpcFlagSource(SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment));
                var client = new FlagClient(source, new FlagClientOptions { TelemetryInterval = TimeSpan.FromSeconds(1) });
                clients.Add(client);
                await client.StartAsync().WithDeadline("an SDK client to start");
            }

            var fleet = new Fleet(clients);
            for (int i = 0; i < clients.Count; i++)
            {
                FlagClient client = clients[i];
                var random = new Random(1_000 + i);
                fleet._loops.Add(Task.Run(() => fleet.RunAsync(client, random, treatmentFailureRate, controlFailureRate)));
            }

            return fleet;
        }

        public bool All(Func<FlagClient, bool> condition) => _clients.All(condition);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops);
            foreach (FlagClient client in _clients)
            {
                await client.DisposeAsync();
            }

            _stop.Dispose();
        }

        private async Task RunAsync(FlagClient flags, Random random, double treatmentFailureRate, double controlFailureRate)
        {
            while (!_stop.IsCancellationRequested)
            {
                for (int i = 0; i < 20; i++)
                {
                    var context = EvaluationContext.ForAccount("account-" + random.Next(1, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    bool treatment = flags.IsEnabled(Flag, context);
                    using FlagOutcome outcome = flags.StartOutcome(Flag, context);
                    if (random.NextDouble() < (treatment ? treatmentFailureRate : controlFailureRate))
                    {
                        outcome.Fail();
                    }
                }

                Interlocked.Add(ref _completed, 20);
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
