using System.Data.Common;
using FlagKit.Protocol.V1;

namespace FlagKit.Server.Store;

/// <summary>
/// The row shapes both stores read (SQLite and PostgreSQL select the same columns in the same order), mapped once: a
/// column added to a query is added here, for both.
/// </summary>
internal static class StoreRows
{
    /// <summary>Runs the query and maps every row.</summary>
    /// <typeparam name="T">The record.</typeparam>
    /// <param name="cmd">The query.</param>
    /// <param name="map">One of this class's mappers.</param>
    /// <returns>The rows, in the query's order.</returns>
    public static List<T> ReadAll<T>(DbCommand cmd, Func<DbDataReader, T> map)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(map(r));
        }

        return list;
    }

    /// <summary><c>id, name, revision, created_at</c>.</summary>
    public static EnvironmentRecord Environment(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetInt64(2), FromMs(r.GetInt64(3)));

    /// <summary><c>id, time, actor, action, environment, target, revision, detail</c>.</summary>
    public static AuditRecord Audit(DbDataReader r) =>
        new(r.GetInt64(0), FromMs(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt64(6), r.GetString(7));

    /// <summary><c>id, name, role, environment, hash, prefix, created_at, revoked_at</c>.</summary>
    public static ApiKeyRecord ApiKey(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), (ApiKeyRole)r.GetInt32(2), r.IsDBNull(3) ? null : r.GetString(3),
            (byte[])r.GetValue(4), r.GetString(5), FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : FromMs(r.GetInt64(7)));

    /// <summary><c>revision, kind, key, action, author, comment, time, before, after, summary, operation</c>.</summary>
    public static HistoryRecord History(DbDataReader r) =>
        new(r.GetInt64(0), (DocumentKind)r.GetInt32(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
            FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : (byte[])r.GetValue(7), r.IsDBNull(8) ? null : (byte[])r.GetValue(8),
            r.GetString(9), r.GetString(10));

    /// <summary>Milliseconds since the Unix epoch, as both stores keep times.</summary>
    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
