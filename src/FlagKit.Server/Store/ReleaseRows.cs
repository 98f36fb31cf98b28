using System.Data.Common;

namespace FlagKit.Server.Store;

/// <summary>The release row shapes both stores read (the same columns in the same order), mapped once.</summary>
internal static class ReleaseRows
{
    /// <summary>The columns <see cref="Release"/> reads, in order.</summary>
    public const string Columns = "id, env_id, flag, status, active, state_json, created_by, created_at, updated_at";

    /// <summary>The columns <see cref="Event"/> reads, in order.</summary>
    public const string EventColumns = "time, kind, actor, percent, summary";

    /// <summary><see cref="Columns"/>.</summary>
    public static StoredRelease Release(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), Convert.ToInt64(r.GetValue(4), System.Globalization.CultureInfo.InvariantCulture) != 0,
            r.GetString(5), r.GetString(6), StoreRows.FromMs(r.GetInt64(7)), StoreRows.FromMs(r.GetInt64(8)));

    /// <summary><see cref="EventColumns"/>.</summary>
    public static ReleaseEventRecord Event(DbDataReader r) =>
        new(StoreRows.FromMs(r.GetInt64(0)), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetString(4));
}
