namespace FlagKit.Server.Store;

/// <content>Named leases. One server on SQLite is the only holder there is; the table keeps the contract the same as PostgreSQL's.</content>
internal sealed partial class FlagDatabase
{
    /// <inheritdoc />
    public LeaseGrant? TryAcquireLease(string name, string holder, TimeSpan ttl, DateTimeOffset now)
    {
        var expires = now + ttl;
        lock (_writeLock)
        {
            using var cmd = Command(_writer, StoreLeaseSql.Acquire.Replace('@', '$'));
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$h", holder);
            cmd.Parameters.AddWithValue("$exp", expires.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            using var r = cmd.ExecuteReader();
            return r.Read() ? new LeaseGrant(name, holder, r.GetInt64(0), StoreRows.FromMs(r.GetInt64(1))) : null;
        }
    }

    /// <inheritdoc />
    public bool ReleaseLease(string name, string holder)
    {
        lock (_writeLock)
        {
            using var cmd = Command(_writer, StoreLeaseSql.Release.Replace('@', '$'));
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$h", holder);
            return cmd.ExecuteNonQuery() == 1;
        }
    }
}
