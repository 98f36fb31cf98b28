using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace FlagKit.Cli.Tests.Infrastructure;

/// <summary>What one run of the real <c>flagkit</c> process produced.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr, string CommandLine)
{
    /// <summary>Stdout parsed as JSON (the <c>--json</c> output).</summary>
    public JsonElement Json()
    {
        try
        {
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new AssertionException($"stdout of '{CommandLine}' is not JSON ({ex.Message}):\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    public override string ToString() => $"flagkit {CommandLine} → exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the real, built <c>flagkit</c> (<c>dotnet FlagKit.Cli.dll</c> in the CLI project's output), with stdin/stdout redirected (so: not a terminal), a clean environment (no FLAGKIT_*
/// variables, a HOME of its own so no user config file is read), and a timeout.
/// </summary>
internal static class FlagKitProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string CliPath { get; } = Locate();

    /// <summary>Runs <c>flagkit args</c>.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="environment">Environment variables to set (null value: unset).</param>
    /// <param name="stdin">Text fed to standard input.</param>
    public static async Task<CliResult> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, string stdin = "")
    {
        var argList = args.ToList();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        start.ArgumentList.Add(CliPath);
        foreach (var a in argList)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var name in new[] { "FLAGKIT_URL", "FLAGKIT_KEY", "FLAGKIT_ENV", "FLAGKIT_CONFIG" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["HOME"] = IsolatedHome;
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(IsolatedHome, ".config");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                if (value is null)
                {
                    start.Environment.Remove(name);
                }
                else
                {
                    start.Environment[name] = value;
                }
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new AssertionException($"flagkit {string.Join(' ', argList)} did not exit within {Timeout.TotalSeconds} s");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr, string.Join(' ', argList));
    }

    /// <summary>A home directory with nothing in it, shared by every run of this test process.</summary>
    public static string IsolatedHome { get; } = Directory.CreateTempSubdirectory("flagkit-cli-home-").FullName;

    /// <summary>An address nothing listens on: a loopback port bound, then released.</summary>
    public static string ClosedPortUrl()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    /// <summary>The CLI's own build output (src/FlagKit.Cli/bin/{Configuration}/{tfm}), built by the project reference.</summary>
    private static string Locate()
    {
        var path = typeof(FlagKitProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "FlagKitCliPath").Value!;
        if (!File.Exists(path) || !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
        {
            throw new InvalidOperationException($"the built CLI is not at {path} (with its runtimeconfig.json); build tests/FlagKit.Cli.Tests.");
        }

        return path;
    }
}
