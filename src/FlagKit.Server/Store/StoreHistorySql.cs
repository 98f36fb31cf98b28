namespace FlagKit.Server.Store;

/// <summary>
/// The history statements, the same for SQLite and PostgreSQL. A history row stores its <c>before</c> document only
/// when it differs from the <c>after</c> of the document's previous row (<c>before_is_previous</c> says it was left
/// out; schema 8 on SQLite, 6 on PostgreSQL): an edit of a document stores it once, not twice. Readers put it back
/// from that row, so every history read returns the same content as before.
/// </summary>
/// <remarks>
/// The previous row of a document is its row with the highest revision below the row's own (a write changes a
/// document at most once, so there is one), found by one descent of <c>history_by_key</c> (env, kind, key, revision).
/// The lookup must not go by <c>(env_id, revision)</c>: a seed write of 10 000 documents puts 10 000 rows under one
/// revision, and a planner that took the primary key for an equality on the revision scanned them all on every
/// insert (a one-flag write at 10 000 flags went from 2.2 to 6 ms). History rows are immutable, so the row a
/// <c>before</c> is read from never changes. Rows older than the schema have <c>before_is_previous</c> false and their own <c>before</c>.
/// </remarks>
internal static class StoreHistorySql
{
    /// <summary>
    /// Inserts one history row, leaving its <c>before</c> out when it equals the previous row's <c>after</c>.
    /// Parameters <c>@e @r @s @k @key @a @au @c @t @b @af @sum @op</c>; returns <c>before_is_previous</c>.
    /// </summary>
    public const string Insert = """
        INSERT INTO history (env_id, revision, seq, kind, key, action, author, comment, time, before_json, after_json, summary, operation, before_is_previous)
        SELECT @e, @r, @s, @k, @key, @a, @au, @c, @t, CASE WHEN previous.same THEN NULL ELSE @b END, @af, @sum, @op, previous.same
        FROM (SELECT COALESCE((
            SELECT p.after_json = @b FROM history p
            WHERE p.env_id = @e AND p.kind = @k AND p.key = @key AND p.revision < @r
            ORDER BY p.revision DESC LIMIT 1), FALSE) AS same) AS previous
        RETURNING before_is_previous
        """;

    /// <summary>
    /// The columns <see cref="StoreRows.History"/> reads, from a history row aliased <c>h</c>, its <c>before</c> put
    /// back from the previous row where it was left out.
    /// </summary>
    public const string Columns = """
        h.revision, h.kind, h.key, h.action, h.author, h.comment, h.time,
        CASE WHEN h.before_is_previous THEN (
            SELECT p.after_json FROM history p
            WHERE p.env_id = h.env_id AND p.kind = h.kind AND p.key = h.key AND p.revision < h.revision
            ORDER BY p.revision DESC LIMIT 1)
        ELSE h.before_json END,
        h.after_json, h.summary, h.operation
        """;
}
