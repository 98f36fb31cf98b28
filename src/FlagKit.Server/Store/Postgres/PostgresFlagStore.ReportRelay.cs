using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace FlagKit.Server.Store.Postgres;

/// <content>
/// The report relay's table (PostgreSQL migration 6: <c>release_report_batches</c>): replicas append the reports of
/// their SDKs, the release-runner lease holder takes them. A take locks with <c>FOR UPDATE SKIP LOCKED</c> and marks
/// what it returns in the same statement, so two takes (a lease changing hands) never return one batch twice.
/// </content>
internal sealed partial class PostgresFlagStore
{
    /// <inheritdoc />
    public bool AppendReportBatch(ReportBatchRecord batch, int capacityPerFlag)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var c = _source.OpenConnection();
        using var cmd = Command(c, ReportRelaySql.Append);
        cmd.Parameters.AddWithValue("id", batch.Id);
        cmd.Parameters.AddWithValue("e", batch.EnvironmentId);
        cmd.Parameters.AddWithValue("f", batch.Flag);
        cmd.Parameters.AddWithValue("n", batch.Reports);
        cmd.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Bytea) { Value = batch.Payload });
        cmd.Parameters.AddWithValue("t", batch.CreatedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("cap", (long)capacityPerFlag);
        if (cmd.ExecuteNonQuery() == 1)
        {
            return true;
        }

        using var exists = Command(c, ReportRelaySql.Exists);
        exists.Parameters.AddWithValue("id", batch.Id);
        return Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    /// <inheritdoc />
    public IReadOnlyList<ReportBatchRecord> TakeReportBatches(long environmentId, string flag, int limit, DateTimeOffset now)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, ReportRelaySql.Take("FOR UPDATE SKIP LOCKED"));
        cmd.Parameters.AddWithValue("now", now.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("e", environmentId);
        cmd.Parameters.AddWithValue("f", flag);
        cmd.Parameters.AddWithValue("l", limit);
        using var r = cmd.ExecuteReader();
        var taken = new List<ReportBatchRecord>();
        while (r.Read())
        {
            taken.Add(new ReportBatchRecord(
                r.GetGuid(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), (byte[])r.GetValue(4),
                StoreRows.FromMs(r.GetInt64(5)), StoreRows.FromMs(r.GetInt64(6))));
        }

        return taken.OrderBy(b => b.CreatedAt).ThenBy(b => b.Id).ToList();
    }

    /// <inheritdoc />
    public int PruneReportBatches(DateTimeOffset createdBefore)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, ReportRelaySql.Prune);
        cmd.Parameters.AddWithValue("before", createdBefore.ToUnixTimeMilliseconds());
        return cmd.ExecuteNonQuery();
    }
}
