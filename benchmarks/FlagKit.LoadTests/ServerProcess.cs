using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlagKit.Protocol.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FlagKit.LoadTests;

/// <summary>The flag server as a child process (so that its CPU and memory can be read), on a free loopback port.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminKey = "fk_admin_load_key_0123456789abcdefghijklmnop";
    public const string SdkKey = "fk_sdk_load_key_production_0123456789abcdefgh";
    public const string Environment = "production";

    private readonly Process _process;
    private readonly string _directory;

    private ServerProcess(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 256 * 1024 * 1024 });
        Admin = new FlagAdmin.FlagAdminClient(Channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + AdminKey);
            return m;
        }));
    }

    public Uri Address { get; }

    /// <summary>The server's process id (for a heap walk or <c>perf</c> while the harness runs).</summary>
    public int ProcessId => _process.Id;

    public GrpcChannel Channel { get; }

    public FlagAdmin.FlagAdminClient Admin { get; }

    /// <summary>CPU time the server has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The server's resident memory (bytes).</summary>
    public long ResidentBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    public static async Task<ServerProcess> StartAsync(string serverDll, IReadOnlyDictionary<string, string> settings, Func<string, bool>? onLine = null)
    {
        string directory = Directory.CreateTempSubdirectory("flagkit-load-").FullName;
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(serverDll);
        var all = new Dictionary<string, string>
        {
            ["FlagKit:Server:Host"] = "127.0.0.1",
            ["FlagKit:Server:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["FlagKit:Server:DataPath"] = Path.Combine(directory, "flagkit.db"),
            ["FlagKit:Server:BootstrapAdminKey"] = AdminKey,
            ["FlagKit:Server:BootstrapSdkKeys:" + Environment] = SdkKey,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach ((string key, string value) in settings)
        {
            all[key] = value;
        }

        foreach ((string key, string value) in all)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 })
            {
                // A line the caller takes (the fan-out log) is not echoed.
                if (onLine is null || !onLine(e.Data))
                {
                    Console.Error.WriteLine("[server] " + e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) Console.Error.WriteLine("[server] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, directory, new Uri($"http://127.0.0.1:{port}"));
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return server;
            }
            catch (RpcException) when (clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS.
        }
    }
}
