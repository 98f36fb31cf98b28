using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FlagKit.Reliability.Tests.Infrastructure;

/// <summary>
/// The real flag server as a child process (<c>dotnet FlagKit.Server.dll</c>), so that it can be killed hard
/// (<see cref="Process.Kill(bool)"/>: SIGKILL, no shutdown code runs) and restarted on the same SQLite file and port.
/// </summary>
/// <remarks>
/// The port is picked free once (bind 127.0.0.1:0, read, release) and kept across restarts, so SDK clients reconnect
/// to the same address. Known keys: <see cref="TestFlagServer.AdminKey"/> and <see cref="TestFlagServer.SdkKey"/>.
/// The server's output is kept for failure messages. Not thread safe: drive it from one test.
/// </remarks>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsDirectory;
    private Process? _process;

    private ServerProcess(string dataDirectory, bool ownsDirectory, int port, IReadOnlyDictionary<string, string> settings)
    {
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        Port = port;
        _settings = settings;
        Address = new Uri($"http://127.0.0.1:{port}");
        Channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = TimeSpan.FromSeconds(5) },
        });
        Admin = new FlagAdmin.FlagAdminClient(Channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + TestFlagServer.AdminKey);
            return m;
        }));
    }

    public string DataDirectory { get; }

    public string DataPath => Path.Combine(DataDirectory, "flagkit.db");

    public int Port { get; }

    public Uri Address { get; }

    public GrpcChannel Channel { get; }

    /// <summary>Admin client (admin key), on a channel that survives restarts.</summary>
    public FlagAdmin.FlagAdminClient Admin { get; }

    /// <summary>The running process, or null.</summary>
    public Process? Process => _process;

    /// <summary>What the server printed (all starts).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a server process and waits until it answers admin calls.</summary>
    /// <param name="settings">Extra configuration (<c>FlagKit:Server:...</c> keys).</param>
    /// <returns>The running server.</returns>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        string directory = Directory.CreateTempSubdirectory("flagkit-proc-").FullName;
        var server = new ServerProcess(directory, ownsDirectory: true, FreePort(), settings ?? new Dictionary<string, string>());
        try
        {
            await server.StartProcessAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL: the process dies at once, mid-write if it was writing. Waits for it to be gone.</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            _process = null;
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
    }

    /// <summary>Starts the server again (same data file, same port) and waits until it answers.</summary>
    /// <returns>How long the start took (process launch to first answered call).</returns>
    public Task<TimeSpan> StartAgainAsync() => StartProcessAsync();

    public async ValueTask DisposeAsync()
    {
        Kill();
        Channel.Dispose();
        await Task.CompletedTask;
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean.
            }
        }
    }

    private async Task<TimeSpan> StartProcessAsync()
    {
        string serverDll = Path.Combine(AppContext.BaseDirectory, "FlagKit.Server.dll");
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = DataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var settings = new Dictionary<string, string>
        {
            ["FlagKit:Server:Host"] = "127.0.0.1",
            ["FlagKit:Server:Port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["FlagKit:Server:DataPath"] = DataPath,
            ["FlagKit:Server:BootstrapAdminKey"] = TestFlagServer.AdminKey,
            ["FlagKit:Server:BootstrapSdkKeys:" + TestFlagServer.Environment] = TestFlagServer.SdkKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach ((string key, string value) in _settings)
        {
            settings[key] = value;
        }

        start.ArgumentList.Add(serverDll);
        foreach ((string key, string value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["DOTNET_gcServer"] = "0";
        long launched = Stopwatch.GetTimestamp();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                Assert.Fail($"the server process exited with code {process.ExitCode} while starting:\n{Output}");
            }

            try
            {
                await Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest(), deadline: System.DateTime.UtcNow.AddSeconds(2));
                return Stopwatch.GetElapsedTime(launched);
            }
            catch (RpcException) when (deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(50);
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
