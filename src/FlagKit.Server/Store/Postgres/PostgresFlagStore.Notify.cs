using System.Globalization;
using Npgsql;

namespace FlagKit.Server.Store.Postgres;

/// <content>
/// Telling the other replicas: after each commit a tiny <c>NOTIFY</c> (<see cref="ReplicationChannel"/>) names what
/// changed; the listener of each replica reads the change itself from the tables. The notification is sent
/// <b>after</b> the write's transaction committed, in a statement of its own: when PostgreSQL's notification queue is
/// full (a listener stuck in a long transaction), a NOTIFY inside the write's transaction would fail the commit, i.e.
/// every flag write; here it fails only the hint, which the replicas' periodic catch-up makes up for. The same covers
/// a process that dies between the commit and the hint.
/// </content>
internal sealed partial class PostgresFlagStore
{
    private long _notifyFailures;

    /// <summary>Hints that could not be sent since start (the other replicas catch up by polling instead).</summary>
    public long NotifyFailures => Interlocked.Read(ref _notifyFailures);

    /// <summary>
    /// A new connection for LISTEN, outside the pool (a pooled connection is reset with <c>DISCARD ALL</c>, which
    /// includes <c>UNLISTEN *</c>): keep-alive pings every 15 s so a dead server is noticed on an idle connection.
    /// </summary>
    /// <returns>An unopened connection the caller owns.</returns>
    public NpgsqlConnection CreateListenerConnection()
    {
        var builder = new NpgsqlConnectionStringBuilder(_connectionString)
        {
            Pooling = false,
            Multiplexing = false,
            KeepAlive = 15,
            TcpKeepAlive = true,
            ApplicationName = ReplicationChannel.ListenerApplicationName,
        };
        return new NpgsqlConnection(builder.ConnectionString);
    }

    /// <summary>How full PostgreSQL's notification queue is, 0 to 1 (<c>pg_notification_queue_usage()</c>).</summary>
    /// <returns>The fraction used.</returns>
    public double NotificationQueueUsage()
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, "SELECT pg_notification_queue_usage()");
        return Convert.ToDouble(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Sends a hint on an open connection, best effort (never throws: the write it follows is committed).</summary>
    private void Notify(NpgsqlConnection c, string payload)
    {
        try
        {
            using var cmd = Command(c, "SELECT pg_notify(@ch, @p)");
            cmd.Parameters.AddWithValue("ch", ReplicationChannel.Name);
            cmd.Parameters.AddWithValue("p", payload);
            cmd.ExecuteNonQuery();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            Interlocked.Increment(ref _notifyFailures);
        }
    }
}
