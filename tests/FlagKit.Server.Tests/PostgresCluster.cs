using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace FlagKit.Server.Tests;

/// <summary>
/// A real, throwaway PostgreSQL cluster for tests: initdb into a temp folder, <c>pg_ctl start</c> on a free loopback
/// port with its unix socket in that folder, one database per caller, stopped and deleted on dispose. Never skips:
/// when PostgreSQL is missing or cannot start, <see cref="Start"/> throws saying why (with the server log).
/// </summary>
/// <remarks>
/// The binaries are found in <c>FLAGKIT_PG_BIN</c>, else Debian's <c>/usr/lib/postgresql/&lt;ver&gt;/bin</c> (newest),
/// else on PATH. initdb refuses to run as root, so as root every command runs as the <c>postgres</c> OS user
/// (<c>runuser -u postgres --</c>) with the folder owned by that user.
/// </remarks>
public sealed class PostgresCluster : IDisposable
{
    private static int s_databases;
    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private readonly DirectoryInfo _dir;

    private PostgresCluster(string bin, bool asPostgresUser, DirectoryInfo dir)
    {
        _bin = bin;
        _asPostgresUser = asPostgresUser;
        _dir = dir;
    }

    /// <summary>The loopback port the cluster listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Finds PostgreSQL, initdb's a cluster into a temp folder and starts it.</summary>
    /// <returns>The running cluster.</returns>
    /// <exception cref="InvalidOperationException">PostgreSQL is not installed or did not start (the message says why).</exception>
    public static PostgresCluster Start()
    {
        var bin = FindBin();
        var asPostgresUser = Environment.UserName == "root";
        var dir = Directory.CreateTempSubdirectory("flagkit-pg-");
        var cluster = new PostgresCluster(bin, asPostgresUser, dir);
        try
        {
            if (asPostgresUser)
            {
                Run("chown", ["-R", "postgres", dir.FullName], "give the temp folder to the postgres user");
            }

            cluster.PgTool("initdb", ["-D", cluster.DataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"], "initdb");
            cluster.StartServer();
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Creates a new empty database.</summary>
    /// <param name="prefix">Name prefix (a counter is appended).</param>
    /// <returns>Its connection string.</returns>
    public string CreateDatabase(string prefix = "flagkit")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref s_databases)}";
        using var c = new NpgsqlConnection(ConnectionString("postgres"));
        c.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
        cmd.ExecuteNonQuery();
        return ConnectionString(name);
    }

    /// <summary>A connection string to one database of the cluster.</summary>
    /// <param name="database">The database.</param>
    /// <returns>The connection string.</returns>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Timeout = 10 }.ToString();

    /// <summary>Stops the server (immediate) and deletes the folder.</summary>
    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        if (Port != 0)
        {
            try
            {
                PgTool("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"], "pg_ctl stop");
            }
            catch (InvalidOperationException)
            {
                // Already gone; the folder is deleted below either way.
            }
        }

        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is not worth failing a run for.
        }
    }

    private string DataDir => Path.Combine(_dir.FullName, "data");

    /// <summary>Stops the server (fast: every session is cut) and starts it again on the same port with the same data.</summary>
    public void Restart()
    {
        PgTool("pg_ctl", ["-D", DataDir, "-m", "fast", "-w", "stop"], "pg_ctl stop (restart)");
        PgStart(Port);

        // This process's pooled connections were cut: drop them rather than fail the next call on one.
        NpgsqlConnection.ClearAllPools();
    }

    private void PgStart(int port) =>
        PgTool("pg_ctl", [
            "-D", DataDir, "-l", Path.Combine(_dir.FullName, "log"), "-w", "-t", "30",
            "-o", $"-p {port} -k {_dir.FullName} -c listen_addresses=127.0.0.1 -F -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start"], "pg_ctl start");

    private void StartServer()
    {
        string? lastError = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreePort();
            try
            {
                PgStart(port);
                Port = port;
                return;
            }
            catch (InvalidOperationException e)
            {
                // A port taken between probe and bind: try another.
                lastError = e.Message;
            }
        }

        throw new InvalidOperationException($"PostgreSQL did not start after 3 attempts. Last: {lastError}");
    }

    private void PgTool(string tool, string[] args, string what)
    {
        var exe = Path.Combine(_bin, tool);
        if (_asPostgresUser)
        {
            Run("runuser", ["-u", "postgres", "--", exe, .. args], what);
        }
        else
        {
            Run(exe, args, what);
        }
    }

    private static void Run(string file, string[] args, string what)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info) ?? throw new InvalidOperationException($"PostgreSQL test cluster: could not run {file} ({what}).");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"PostgreSQL test cluster: {what} did not finish within 60 s.");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"PostgreSQL test cluster: {what} failed (exit {p.ExitCode}): {file} {string.Join(' ', args)}\n{stdout.Result}\n{stderr.Result}");
        }
    }

    private static string FindBin()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("FLAGKIT_PG_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException(
                "PostgreSQL is not installed: no initdb and pg_ctl in FLAGKIT_PG_BIN, /usr/lib/postgresql/*/bin or PATH. " +
                "Install it (Debian: apt-get install -y postgresql; .ci/run does this).");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
