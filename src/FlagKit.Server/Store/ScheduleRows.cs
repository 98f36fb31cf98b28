using System.Data.Common;

namespace FlagKit.Server.Store;

/// <summary>The schedule and freeze row shapes both stores read (same columns, same order), mapped once.</summary>
internal static class ScheduleRows
{
    /// <summary>The columns <see cref="Schedule"/> reads, in order.</summary>
    public const string ScheduleColumns =
        "id, environment, rpc, request, target, description, key_id, key_name, actor, base_revision, due_at, not_before, created_at, state, note, applied_revision, finished_at";

    /// <summary>The columns <see cref="Freeze"/> reads, in order.</summary>
    public const string FreezeColumns =
        "environment, name, start_at, end_at, days, local_start, local_end, time_zone, comment, created_by, created_at";

    /// <summary>The pending-first order of a schedule list.</summary>
    public const string ListOrder =
        "ORDER BY CASE WHEN state IN ('pending', 'claimed') THEN 0 ELSE 1 END, CASE WHEN state IN ('pending', 'claimed') THEN not_before ELSE -COALESCE(finished_at, 0) END, id";

    /// <summary>Maps a row of <see cref="ScheduleColumns"/>.</summary>
    /// <param name="r">The reader.</param>
    /// <returns>The change.</returns>
    public static ScheduledChangeRecord Schedule(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), (byte[])r.GetValue(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7),
        r.GetString(8), r.GetInt64(9), StoreRows.FromMs(r.GetInt64(10)), StoreRows.FromMs(r.GetInt64(11)), StoreRows.FromMs(r.GetInt64(12)),
        r.GetString(13), r.GetString(14), r.GetInt64(15), r.IsDBNull(16) ? null : StoreRows.FromMs(r.GetInt64(16)));

    /// <summary>Maps a row of <see cref="FreezeColumns"/>.</summary>
    /// <param name="r">The reader.</param>
    /// <returns>The window.</returns>
    public static FreezeRecord Freeze(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : StoreRows.FromMs(r.GetInt64(2)), r.IsDBNull(3) ? null : StoreRows.FromMs(r.GetInt64(3)),
        r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), r.GetString(8), r.GetString(9), StoreRows.FromMs(r.GetInt64(10)));

    /// <summary>The parameters of a schedule row, by name (without the prefix each engine adds).</summary>
    /// <param name="c">The change.</param>
    /// <returns>Name and value pairs.</returns>
    public static IEnumerable<(string Name, object Value)> ScheduleValues(ScheduledChangeRecord c) =>
    [
        ("env", c.Environment), ("rpc", c.Rpc), ("req", c.Request), ("tg", c.Target), ("descr", c.Description), ("kid", c.KeyId),
        ("kname", c.KeyName), ("actor", c.Actor), ("base", c.BaseRevision), ("due", c.DueAt.ToUnixTimeMilliseconds()),
        ("nb", c.NotBefore.ToUnixTimeMilliseconds()), ("created", c.CreatedAt.ToUnixTimeMilliseconds()), ("note", c.Note),
    ];

    /// <summary>The parameters of a freeze row, by name; the nullable instants as <see cref="DBNull"/> when absent.</summary>
    /// <param name="f">The window.</param>
    /// <returns>Name and value pairs.</returns>
    public static IEnumerable<(string Name, object Value)> FreezeValues(FreezeRecord f) =>
    [
        ("env", f.Environment), ("name", f.Name), ("sa", (object?)f.Start?.ToUnixTimeMilliseconds() ?? DBNull.Value),
        ("ea", (object?)f.End?.ToUnixTimeMilliseconds() ?? DBNull.Value), ("days", f.Days), ("ls", f.LocalStart), ("le", f.LocalEnd),
        ("tz", f.TimeZone), ("cm", f.Comment), ("by", f.CreatedBy), ("at", f.CreatedAt.ToUnixTimeMilliseconds()),
    ];
}
