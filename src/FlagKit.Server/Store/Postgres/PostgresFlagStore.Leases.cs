namespace FlagKit.Server.Store.Postgres;

/// <content>
/// Named leases in a table with an expiry, not advisory locks: a session lock lives as long as its physical connection,
/// which a pool keeps after Dispose (npgsql#5592), and a vanished holder's lock lasts until TCP notices. A lease row
/// expires by the clock whatever happened to its holder's connections.
/// </content>
internal sealed partial class PostgresFlagStore
{
    /// <inheritdoc />
    public LeaseGrant? TryAcquireLease(string name, string holder, TimeSpan ttl, DateTimeOffset now)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, StoreLeaseSql.Acquire);
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("h", holder);
        cmd.Parameters.AddWithValue("exp", (now + ttl).ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("now", now.ToUnixTimeMilliseconds());
        using var r = cmd.ExecuteReader();
        return r.Read() ? new LeaseGrant(name, holder, r.GetInt64(0), StoreRows.FromMs(r.GetInt64(1))) : null;
    }

    /// <inheritdoc />
    public bool ReleaseLease(string name, string holder)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, StoreLeaseSql.Release);
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("h", holder);
        return cmd.ExecuteNonQuery() == 1;
    }
}
