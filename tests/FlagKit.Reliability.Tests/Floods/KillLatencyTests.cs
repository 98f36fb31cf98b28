using System.Diagnostics;
using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Reliability.Tests.Floods;

/// <summary>
/// Issue 11 item 2: one huge edit used to stall every write, the kill switch included (a quadratic target edit under
/// one gate shared by all environments). Here a real server on loopback runs a huge target edit — 16 000 account ids
/// moved between two variants, close to the document limit — over and over in the environment of the kills and in
/// another one, while kills are timed: their p99 must stay within 100 ms.
/// </summary>
[TestFixture]
public sealed class KillLatencyTests
{
    private const int Ids = 16_000;
    private const int Kills = 200;
    private const string Other = "staging";
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(100);

    // Each editor rests this long between its edits: the edits still overlap most kills, but two of them back to back
    // would keep both cores of a CI machine busy on their own (harsher than any operator).
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(50);

    private int _edits;
    private int _inFlight;

    [Test]
    public async Task Kill_WhileHugeTargetEditsRunInSameAndOtherEnvironment_P99Within100Ms()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        await server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = Other });
        foreach (string env in new[] { TestFlagServer.Environment, Other })
        {
            await Put(server, env, "big");
            await Put(server, env, "switch");
        }

        string[] ids = Enumerable.Range(0, Ids).Select(i => "acct-" + i.ToString("D6", CultureInfo.InvariantCulture)).ToArray();
        using var stop = new CancellationTokenSource();
        var editors = new[] { TestFlagServer.Environment, Other }.Select(env => Task.Run(() => EditLoopAsync(server, env, ids, stop.Token))).ToArray();
        await WaitForEditsAsync(editors.Length, 2);

        // The bound is the kill path's, on a machine that also runs the rest of the suite: `dotnet test FlagKit.sln` runs
        // the test assemblies side by side on two cores, and another assembly's burst (a browser, a server start) can
        // land in one window. So the kills are timed in up to three windows of 200, each with huge edits in flight, and
        // the test passes when one window's p99 is within the bound; every window is reported. A kill path that waits
        // behind the edits (the defect: seconds per kill) fails all three.
        // A window counts only if the huge edits really ran during it (at least 10 committed, one in flight at the start
        // of most kills): on a starved machine the edits (prepared at a lower OS priority) can stall, and kills timed
        // then would prove nothing.
        var windows = new List<string>();
        double best = double.MaxValue;
        int valid = 0;
        for (int attempt = 1; attempt <= 3 && best > Bound.TotalMilliseconds; attempt++)
        {
            (double p99, bool editsRan, string report) = await MeasureKillsAsync(server, warmUp: attempt == 1 ? 10 : 0);
            windows.Add($"window {attempt}: {report}{(editsRan ? "" : " (not counted: the huge edits did not run enough)")}");
            if (editsRan)
            {
                valid++;
                best = Math.Min(best, p99);
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(editors);
        string all = string.Join("\n", windows);
        TestContext.Out.WriteLine(all);
        Assert.That(valid, Is.GreaterThan(0), "the huge edits really ran during the kills in some window:\n" + all);
        Assert.That(best, Is.LessThanOrEqualTo(Bound.TotalMilliseconds), "kill p99 (ms), best of the windows:\n" + all);
    }

    private async Task<(double P99, bool EditsRan, string Report)> MeasureKillsAsync(ServerProcess server, int warmUp)
    {
        var latencies = new List<double>();
        int overlapped = 0;
        int editsBefore = Volatile.Read(ref _edits);
        TimeSpan gcBefore = GC.GetTotalPauseDuration();
        int gen2Before = GC.CollectionCount(2);
        for (int i = 0; i < Kills + warmUp; i++)
        {
            string env = i % 2 == 0 ? TestFlagServer.Environment : Other;
            var change = i / 2 % 2 == 0 ? FlagStateChange.Kill : FlagStateChange.Unkill;
            if (i >= warmUp && Volatile.Read(ref _inFlight) > 0)
            {
                overlapped++;
            }

            var watch = Stopwatch.StartNew();
            await server.Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = env, Key = "switch", Change = change });
            watch.Stop();
            if (i >= warmUp)
            {
                latencies.Add(watch.Elapsed.TotalMilliseconds); // the first ones warm up
            }

            await Task.Delay(40);
        }

        int editsDuring = Volatile.Read(ref _edits) - editsBefore;
        TimeSpan gcPause = GC.GetTotalPauseDuration() - gcBefore;
        int gen2 = GC.CollectionCount(2) - gen2Before;
        bool editsRan = editsDuring >= 10 && overlapped >= Kills / 2;

        latencies.Sort();
        double p50 = latencies[latencies.Count / 2];
        double p99 = latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1];
        return (p99, editsRan, string.Create(CultureInfo.InvariantCulture,
            $"{latencies.Count} kills: p50 {p50:0.0} ms, p99 {p99:0.0} ms, max {latencies[^1]:0.0} ms; {editsDuring} huge edits of {Ids} ids committed meanwhile, one in flight at the start of {overlapped} kills; test process GC paused {gcPause.TotalMilliseconds:0} ms ({gen2} gen2)"));
    }

    private async Task EditLoopAsync(ServerProcess server, string env, string[] ids, CancellationToken stop)
    {
        // Move every id to the other variant: each edit changes the whole target list.
        var requests = new[] { "on", "off" }.Select(variant => new SetTargetsRequest { Environment = env, Key = "big", Variant = variant, Add = { ids } }).ToArray();
        for (int n = 0; !stop.IsCancellationRequested; n++)
        {
            Interlocked.Increment(ref _inFlight);
            try
            {
                await server.Admin.SetTargetsAsync(requests[n % 2], cancellationToken: stop);
                Interlocked.Increment(ref _edits);
                await Task.Delay(Pause, stop);
            }
            catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                return;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private async Task WaitForEditsAsync(int editors, int each)
    {
        var watch = Stopwatch.StartNew();
        while (Volatile.Read(ref _edits) < editors * each)
        {
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "the huge edits get going");
            await Task.Delay(20);
        }
    }

    private static async Task Put(ServerProcess server, string env, string key) =>
        await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = env,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8($$"""{ "key": "{{key}}", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
        });
}
