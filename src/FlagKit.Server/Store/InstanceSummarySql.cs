namespace FlagKit.Server.Store;

/// <summary>The instance summaries' statements, shared by both stores (PostgreSQL's parameter prefix; SQLite replaces <c>@</c> with <c>$</c>).</summary>
internal static class InstanceSummarySql
{
    /// <summary>Writes or replaces a replica's row.</summary>
    public const string Put = """
        INSERT INTO replica_instances (replica, instances, updated_at) VALUES (@r, @i, @t)
        ON CONFLICT (replica) DO UPDATE SET instances = excluded.instances, updated_at = excluded.updated_at
        """;

    /// <summary>The rows written since a time.</summary>
    public const string Load = "SELECT replica, instances, updated_at FROM replica_instances WHERE updated_at >= @since ORDER BY replica";

    /// <summary>Deletes a replica's row.</summary>
    public const string Delete = "DELETE FROM replica_instances WHERE replica = @r";

    /// <summary>Deletes rows written before a time.</summary>
    public const string Prune = "DELETE FROM replica_instances WHERE updated_at < @before";
}
