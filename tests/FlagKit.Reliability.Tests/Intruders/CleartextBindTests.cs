using System.Diagnostics;
using System.Globalization;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;

namespace FlagKit.Reliability.Tests.Intruders;

/// <summary>
/// The real server process bound to a non-loopback address without TLS: it refuses to start, saying why and what to
/// set; with <c>AllowCleartextOnNetwork</c> it starts and logs a warning. Found by an outside attack: the admin API
/// served cleartext on 0.0.0.0 with no warning. (<c>run.sh</c> binds 127.0.0.1 and is not affected.)
/// </summary>
[TestFixture]
public sealed class CleartextBindTests
{
    [Test]
    public async Task AspNetCoreUrls_GivenToTheServer_ExitsNonZeroSayingWhatToSetInstead()
    {
        (int exitCode, string output) = await RunUntilExitAsync("ignored --urls", "--urls=http://127.0.0.1:0");

        Assert.That(exitCode, Is.Not.Zero);
        Assert.That(output, Does.Contain("--urls").And.Contain("FlagKit:Server:Port").And.Contain("Kestrel:Endpoints"));
        Assert.That(output, Does.Not.Contain("   at "), "a plain message, not a stack trace");
    }

    [Test]
    public async Task NonLoopbackBind_WithoutTls_ExitsNonZeroNamingTheSetting()
    {
        (int exitCode, string output) = await RunUntilExitAsync("started on 0.0.0.0 without TLS", "--FlagKit:Server:Host=0.0.0.0");

        Assert.That(exitCode, Is.Not.Zero);
        Assert.That(output, Does.Contain("0.0.0.0").And.Contain("CertificatePath").And.Contain("AllowCleartextOnNetwork"));
        Assert.That(output, Does.Not.Contain("   at "), "a plain message, not a stack trace");
    }

    [Test]
    public async Task NonLoopbackBind_WithAllowCleartextOnNetwork_StartsAndLogsAWarning()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["FlagKit:Server:Host"] = "0.0.0.0",
            ["FlagKit:Server:AllowCleartextOnNetwork"] = "true",
        });

        await Wait.UntilAsync(() => server.Output.Contains("INSECURE", StringComparison.Ordinal), () => $"the warning is logged:\n{server.Output}");
        Assert.That(server.Output, Does.Contain("0.0.0.0").And.Contain("cleartext"));
    }

    // Starts the real server process with the given arguments (on port 0, a data file in a temp folder) and waits for it
    // to exit; one that keeps running for 90 s fails the test with what it did.
    private static async Task<(int ExitCode, string Output)> RunUntilExitAsync(string whatWouldBeWrong, string argument)
    {
        string directory = Directory.CreateTempSubdirectory("flagkit-start-").FullName;
        try
        {
            var start = new ProcessStartInfo(DotnetHost())
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FlagKit.Server.dll"));
            start.ArgumentList.Add(argument);
            start.ArgumentList.Add("--FlagKit:Server:Port=0");
            start.ArgumentList.Add("--FlagKit:Server:DataPath=" + Path.Combine(directory, "flagkit.db"));
            start.ArgumentList.Add("--FlagKit:Server:BootstrapAdminKey=" + TestFlagServer.AdminKey);
            using var process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"the server {whatWouldBeWrong} and kept running:\n{await stdout}");
            }

            string output = await stderr + await stdout;
            TestContext.Out.WriteLine($"exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}:\n{output}");
            return (process.ExitCode, output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
