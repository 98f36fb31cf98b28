namespace FlagKit.Server.Store;

/// <summary>
/// The report relay's statements, shared by both stores (PostgreSQL's parameter prefix; SQLite replaces <c>@</c> with
/// <c>$</c>). The capacity is checked in the insert itself, before anything is written.
/// </summary>
internal static class ReportRelaySql
{
    /// <summary>Appends a batch when the flag's untaken reports stay within the capacity; a stored id is left as it is.</summary>
    public const string Append = """
        INSERT INTO release_report_batches (id, environment_id, flag, reports, payload, created_at)
        SELECT @id, @e, @f, @n, @p, @t
        WHERE (SELECT COALESCE(SUM(reports), 0) FROM release_report_batches WHERE environment_id = @e AND flag = @f AND taken_at IS NULL) + @n <= @cap
        ON CONFLICT (id) DO NOTHING
        """;

    /// <summary>Whether a batch id is stored (after an append that stored nothing: a repeat, or refused for capacity).</summary>
    public const string Exists = "SELECT COUNT(*) FROM release_report_batches WHERE id = @id";

    /// <summary>The columns a take returns.</summary>
    public const string Columns = "id, environment_id, flag, reports, payload, created_at, taken_at";

    /// <summary>Deletes batches created before a time.</summary>
    public const string Prune = "DELETE FROM release_report_batches WHERE created_at < @before";

    /// <summary>Marks up to a limit of a flag's untaken batches taken and returns them; <paramref name="lockClause"/> is PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c>.</summary>
    /// <param name="lockClause">Appended to the inner select (empty for SQLite, whose writer is one).</param>
    /// <returns>The statement.</returns>
    public static string Take(string lockClause) => $"""
        UPDATE release_report_batches SET taken_at = @now
        WHERE taken_at IS NULL AND id IN (
            SELECT id FROM release_report_batches WHERE environment_id = @e AND flag = @f AND taken_at IS NULL
            ORDER BY created_at, id LIMIT @l {lockClause})
        RETURNING {Columns}
        """;
}
