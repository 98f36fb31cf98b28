using System.Diagnostics;
using System.Globalization;
using FlagKit.Protocol.V1;
using Google.Protobuf;

namespace FlagKit.LoadTests;

/// <summary>
/// <c>--processes N</c>: the propagation run with its SDK clients spread over N child processes of the harness (one
/// process playing every client was most of the measured latency), and each phase reported on its own: request →
/// durable (the write's committed_at), durable → the last stream written (the server's fan-out log), and per process
/// the last stream written → applied (FlagsChanged in the client), so a figure says where the time goes.
/// </summary>
internal static class ProcessesRun
{
    public static async Task<List<string>> RunAsync(string serverDll, int processes, int clients, int rate, int seconds)
    {
        var fanout = new FanoutLogReader();
        await using var server = await ServerProcess.StartAsync(serverDll, new Dictionary<string, string>
        {
            ["Logging:LogLevel:" + FanoutLogReader.Category] = "Information",
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        }, fanout.OnLine);
        long revision = (await server.Admin.PutDocumentAsync(LoadFigures.Put("load", 0))).Revision;

        var children = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < processes; i++)
            {
                int share = clients / processes + (i < clients % processes ? 1 : 0);
                children.Add(ChildProcess.Start(server.Address, i, share));
            }

            foreach (ChildProcess child in children)
            {
                await child.WaitForAsync("ready");
            }

            await Task.Delay(2000);
            var requested = new Dictionary<long, DateTimeOffset>();
            var durable = new Dictionary<long, DateTimeOffset>();
            var cpuBefore = children.Select(c => c.CpuTime).ToList();
            TimeSpan serverCpuBefore = server.CpuTime;
            var wall = Stopwatch.StartNew();
            using (var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / rate)))
            {
                for (int i = 1; i <= rate * seconds; i++)
                {
                    await ticker.WaitForNextTickAsync();
                    DateTimeOffset at = DateTimeOffset.UtcNow;
                    WriteResponse write = await server.Admin.PutDocumentAsync(LoadFigures.Put("load", i));
                    requested[write.Revision] = at;
                    durable[write.Revision] = write.CommittedAt.ToDateTimeOffset();
                    revision = write.Revision;
                }
            }

            foreach (ChildProcess child in children)
            {
                child.Send("report " + revision.ToString(CultureInfo.InvariantCulture));
            }

            var applied = new List<List<(long Revision, DateTimeOffset At)>>();
            foreach (ChildProcess child in children)
            {
                applied.Add(await child.ReadAppliedAsync());
            }

            double runSeconds = wall.Elapsed.TotalSeconds;
            double serverCpu = (server.CpuTime - serverCpuBefore).TotalSeconds;
            var fanouts = new Dictionary<long, FanoutRecord>();
            foreach (long r in durable.Keys)
            {
                fanouts[r] = await fanout.WaitAsync(r);
            }

            List<double> requestToDurable = [.. durable.Select(d => (d.Value - requested[d.Key]).TotalMilliseconds)];
            List<double> durableToLastWritten = [.. durable.Select(d => (fanouts[d.Key].LastWritten - d.Value).TotalMilliseconds)];
            var lines = new List<string>
            {
                $"processes run: {clients} SDK clients in {processes} child processes, {rate * seconds} changes at {rate}/s ({runSeconds:F1} s incl. convergence); server CPU {100 * serverCpu / runSeconds:F0} % of one core",
                $"  request->durable (validate, compile, commit): p50 {LoadFigures.Percentile(requestToDurable, 50):F1} ms, p99 {LoadFigures.Percentile(requestToDurable, 99):F1} ms",
                $"  durable->last stream written (server fan-out to all {clients}): p50 {LoadFigures.Percentile(durableToLastWritten, 50):F1} ms, p99 {LoadFigures.Percentile(durableToLastWritten, 99):F1} ms",
            };
            for (int i = 0; i < children.Count; i++)
            {
                var afterWritten = new List<double>();
                var durableToApplied = new List<double>();
                foreach ((long r, DateTimeOffset at) in applied[i])
                {
                    if (durable.TryGetValue(r, out DateTimeOffset d))
                    {
                        afterWritten.Add((at - fanouts[r].LastWritten).TotalMilliseconds);
                        durableToApplied.Add((at - d).TotalMilliseconds);
                    }
                }

                double cpu = (children[i].CpuTime - cpuBefore[i]).TotalSeconds;
                lines.Add($"  process {i} ({children[i].Clients} clients, CPU {100 * cpu / runSeconds:F0} % of one core): last stream written->applied p50 {LoadFigures.Percentile(afterWritten, 50):F1} ms, p99 {LoadFigures.Percentile(afterWritten, 99):F1} ms; durable->applied p50 {LoadFigures.Percentile(durableToApplied, 50):F1} ms, p99 {LoadFigures.Percentile(durableToApplied, 99):F1} ms ({durableToApplied.Count} samples)");
            }

            return lines;
        }
        finally
        {
            foreach (ChildProcess child in children)
            {
                child.Dispose();
            }
        }
    }
}
