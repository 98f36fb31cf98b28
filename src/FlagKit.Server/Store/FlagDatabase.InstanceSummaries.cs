namespace FlagKit.Server.Store;

/// <content>
/// Replicas' instance summaries (schema 8: <c>replica_instances</c>). One server on SQLite lists its own instances and
/// never publishes; the table keeps the contract the same as PostgreSQL's.
/// </content>
internal sealed partial class FlagDatabase
{
    /// <inheritdoc />
    public void PutInstanceSummary(InstanceSummaryRecord summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        lock (_writeLock)
        {
            using var cmd = Command(_writer, ForSqlite(InstanceSummarySql.Put));
            cmd.Parameters.AddWithValue("$r", summary.Replica);
            cmd.Parameters.AddWithValue("$i", summary.Instances);
            cmd.Parameters.AddWithValue("$t", summary.UpdatedAt.ToUnixTimeMilliseconds());
            cmd.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<InstanceSummaryRecord> LoadInstanceSummaries(DateTimeOffset updatedSince)
    {
        using var c = OpenReader();
        using var cmd = Command(c, ForSqlite(InstanceSummarySql.Load));
        cmd.Parameters.AddWithValue("$since", updatedSince.ToUnixTimeMilliseconds());
        using var r = cmd.ExecuteReader();
        var rows = new List<InstanceSummaryRecord>();
        while (r.Read())
        {
            rows.Add(new InstanceSummaryRecord(r.GetString(0), (byte[])r.GetValue(1), StoreRows.FromMs(r.GetInt64(2))));
        }

        return rows;
    }

    /// <inheritdoc />
    public bool DeleteInstanceSummary(string replica)
    {
        lock (_writeLock)
        {
            using var cmd = Command(_writer, ForSqlite(InstanceSummarySql.Delete));
            cmd.Parameters.AddWithValue("$r", replica);
            return cmd.ExecuteNonQuery() == 1;
        }
    }

    /// <inheritdoc />
    public int PruneInstanceSummaries(DateTimeOffset updatedBefore)
    {
        lock (_writeLock)
        {
            using var cmd = Command(_writer, ForSqlite(InstanceSummarySql.Prune));
            cmd.Parameters.AddWithValue("$before", updatedBefore.ToUnixTimeMilliseconds());
            return cmd.ExecuteNonQuery();
        }
    }
}
