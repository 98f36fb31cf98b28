using System.Diagnostics;
using System.Globalization;

namespace FlagKit.LoadTests;

/// <summary>
/// The parent's end of one child harness process (<c>--child</c>, see <see cref="ClientsChild"/>) that plays a share of
/// the SDK clients. Lines on its standard output: <c>ready</c>, then after <c>report R</c> one <c>applied REVISION
/// UTC_TICKS</c> per revision each client applied, and <c>end</c>.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, int clients)
    {
        _process = process;
        Clients = clients;
    }

    public int Clients { get; }

    /// <summary>CPU time the child has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static ChildProcess Start(Uri server, int index, int clients)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (string arg in new[] { "--child", "--server", server.ToString(), "--clients", clients.ToString(CultureInfo.InvariantCulture), "--index", index.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        return new ChildProcess(Process.Start(start)!, clients);
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public async Task WaitForAsync(string expected)
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == expected)
            {
                return;
            }
        }

        throw new InvalidOperationException($"child process exited before '{expected}' (exit code {(_process.HasExited ? _process.ExitCode : -1)})");
    }

    public async Task<List<(long Revision, DateTimeOffset At)>> ReadAppliedAsync()
    {
        var applied = new List<(long, DateTimeOffset)>();
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == "end")
            {
                return applied;
            }

            string[] parts = line.Split(' ');
            if (parts is ["applied", var revision, var ticks])
            {
                applied.Add((long.Parse(revision, CultureInfo.InvariantCulture), new DateTimeOffset(long.Parse(ticks, CultureInfo.InvariantCulture), TimeSpan.Zero)));
            }
        }

        throw new InvalidOperationException("child process exited before its report ended");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
