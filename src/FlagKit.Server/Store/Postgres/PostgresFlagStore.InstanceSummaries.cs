using NpgsqlTypes;

namespace FlagKit.Server.Store.Postgres;

/// <content>Replicas' instance summaries (PostgreSQL migration 6: <c>replica_instances</c>): what any replica reads to list the fleet's SDK instances.</content>
internal sealed partial class PostgresFlagStore
{
    /// <inheritdoc />
    public void PutInstanceSummary(InstanceSummaryRecord summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        using var c = _source.OpenConnection();
        using var cmd = Command(c, InstanceSummarySql.Put);
        cmd.Parameters.AddWithValue("r", summary.Replica);
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter("i", NpgsqlDbType.Bytea) { Value = summary.Instances });
        cmd.Parameters.AddWithValue("t", summary.UpdatedAt.ToUnixTimeMilliseconds());
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public IReadOnlyList<InstanceSummaryRecord> LoadInstanceSummaries(DateTimeOffset updatedSince)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, InstanceSummarySql.Load);
        cmd.Parameters.AddWithValue("since", updatedSince.ToUnixTimeMilliseconds());
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
        using var c = _source.OpenConnection();
        using var cmd = Command(c, InstanceSummarySql.Delete);
        cmd.Parameters.AddWithValue("r", replica);
        return cmd.ExecuteNonQuery() == 1;
    }

    /// <inheritdoc />
    public int PruneInstanceSummaries(DateTimeOffset updatedBefore)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, InstanceSummarySql.Prune);
        cmd.Parameters.AddWithValue("before", updatedBefore.ToUnixTimeMilliseconds());
        return cmd.ExecuteNonQuery();
    }
}
