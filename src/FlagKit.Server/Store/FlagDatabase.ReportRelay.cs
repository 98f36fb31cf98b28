using System.Globalization;

namespace FlagKit.Server.Store;

/// <content>
/// The report relay's table (schema 8: <c>release_report_batches</c>). One server on SQLite judges its own SDKs' reports
/// in memory and never relays them; the table keeps the contract the same as PostgreSQL's.
/// </content>
internal sealed partial class FlagDatabase
{
    /// <inheritdoc />
    public bool AppendReportBatch(ReportBatchRecord batch, int capacityPerFlag)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var id = batch.Id.ToString("N", CultureInfo.InvariantCulture);
        lock (_writeLock)
        {
            using var cmd = Command(_writer, ForSqlite(ReportRelaySql.Append));
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$e", batch.EnvironmentId);
            cmd.Parameters.AddWithValue("$f", batch.Flag);
            cmd.Parameters.AddWithValue("$n", batch.Reports);
            cmd.Parameters.AddWithValue("$p", batch.Payload);
            cmd.Parameters.AddWithValue("$t", batch.CreatedAt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$cap", capacityPerFlag);
            if (cmd.ExecuteNonQuery() == 1)
            {
                return true;
            }

            using var exists = Command(_writer, ForSqlite(ReportRelaySql.Exists));
            exists.Parameters.AddWithValue("$id", id);
            return Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<ReportBatchRecord> TakeReportBatches(long environmentId, string flag, int limit, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var cmd = Command(_writer, ForSqlite(ReportRelaySql.Take("")));
            cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("$e", environmentId);
            cmd.Parameters.AddWithValue("$f", flag);
            cmd.Parameters.AddWithValue("$l", limit);
            using var r = cmd.ExecuteReader();
            var taken = new List<ReportBatchRecord>();
            while (r.Read())
            {
                taken.Add(new ReportBatchRecord(
                    Guid.ParseExact(r.GetString(0), "N"), r.GetInt64(1), r.GetString(2), r.GetInt32(3), (byte[])r.GetValue(4),
                    StoreRows.FromMs(r.GetInt64(5)), StoreRows.FromMs(r.GetInt64(6))));
            }

            return taken.OrderBy(b => b.CreatedAt).ThenBy(b => b.Id).ToList();
        }
    }

    /// <inheritdoc />
    public int PruneReportBatches(DateTimeOffset createdBefore)
    {
        lock (_writeLock)
        {
            using var cmd = Command(_writer, ForSqlite(ReportRelaySql.Prune));
            cmd.Parameters.AddWithValue("$before", createdBefore.ToUnixTimeMilliseconds());
            return cmd.ExecuteNonQuery();
        }
    }

    private static string ForSqlite(string sql) => sql.Replace('@', '$');
}
