using System.Diagnostics;
using System.Text;

namespace FlagKit.Packaging.Tests;

/// <summary>Runs a real process (dotnet, bash, the installed tool) as a new user would, and captures what it prints.</summary>
internal static class ProcessRunner
{
    /// <summary>What a process printed and how it ended.</summary>
    /// <param name="ExitCode">The exit code.</param>
    /// <param name="Output">Standard output and standard error, interleaved as they arrived.</param>
    internal sealed record Result(int ExitCode, string Output);

    /// <summary>Runs <paramref name="file"/> in <paramref name="directory"/>; kills it (and its children) after <paramref name="timeout"/>.</summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs inside `dotnet test`: leave out its MSBuild and test-platform settings, so each child
        // starts like a command typed in a fresh shell.
        foreach (string name in start.Environment.Keys.Where(IsInherited).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new Result(-1, $"{Describe(file, arguments)} did not finish within {timeout}:\n{Text(output)}");
        }

        process.WaitForExit(); // drains the redirected streams
        return new Result(process.ExitCode, Text(output));
    }

    /// <summary>Runs it and asserts exit code 0, showing the command and its output otherwise.</summary>
    public static async Task<string> RunOkAsync(string file, IEnumerable<string> arguments, string directory, TimeSpan timeout)
    {
        string[] args = [.. arguments];
        Result result = await RunAsync(file, args, directory, timeout);
        Assert.That(result.ExitCode, Is.Zero, $"{Describe(file, args)} failed:\n{result.Output}");
        return result.Output;
    }

    private static bool IsInherited(string name) =>
        name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
        || name.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string Describe(string file, IEnumerable<string> arguments) => $"`{file} {string.Join(' ', arguments)}`";
}
