namespace FlagKit.Server.Store;

/// <summary>The lease statements, the same for SQLite and PostgreSQL (both have <c>INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING</c>).</summary>
internal static class StoreLeaseSql
{
    /// <summary>
    /// Takes the lease when free, expired or held by the same holder, in one statement: concurrent acquirers take turns
    /// on the row and the WHERE is judged against the row as the previous one left it, so at most one wins. The token
    /// rises only when the holder changes. Parameters <c>@n @h @exp @now</c>; returns <c>token, expires_at</c> or no row.
    /// </summary>
    public const string Acquire = """
        INSERT INTO leases (name, holder, token, expires_at) VALUES (@n, @h, 1, @exp)
        ON CONFLICT (name) DO UPDATE SET
            token = CASE WHEN leases.holder = excluded.holder THEN leases.token ELSE leases.token + 1 END,
            holder = excluded.holder,
            expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at <= @now
        RETURNING token, expires_at
        """;

    /// <summary>Gives the lease back (expires it now); parameters <c>@n @h</c>.</summary>
    public const string Release = "UPDATE leases SET expires_at = 0 WHERE name = @n AND holder = @h AND expires_at > 0";
}
