namespace FlagKit.Server.Store;

/// <summary>The store kinds <c>FlagKit:Server:Store</c> accepts.</summary>
internal static class StoreKinds
{
    /// <summary>One SQLite file (the default).</summary>
    public const string Sqlite = "sqlite";

    /// <summary>A PostgreSQL database (several replicas may share it).</summary>
    public const string Postgres = "postgres";

    /// <summary>The environment variable read when no connection string is configured.</summary>
    public const string PostgresEnvironmentVariable = "FLAGKIT_POSTGRES";

    /// <summary>Whether <paramref name="kind"/> names a store (case-insensitive).</summary>
    /// <param name="kind">The configured value.</param>
    /// <returns>True for <c>sqlite</c> and <c>postgres</c>.</returns>
    public static bool IsKnown(string? kind) => string.Equals(kind, Sqlite, StringComparison.OrdinalIgnoreCase) || IsPostgres(kind);

    /// <summary>Whether <paramref name="kind"/> is <c>postgres</c> (case-insensitive).</summary>
    /// <param name="kind">The configured value.</param>
    /// <returns>True for <c>postgres</c>.</returns>
    public static bool IsPostgres(string? kind) => string.Equals(kind, Postgres, StringComparison.OrdinalIgnoreCase);
}
