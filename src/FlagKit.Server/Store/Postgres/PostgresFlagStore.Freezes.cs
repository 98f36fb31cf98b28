namespace FlagKit.Server.Store.Postgres;

/// <content>Freeze windows.</content>
internal sealed partial class PostgresFlagStore : IFreezeStore
{
    /// <inheritdoc />
    public IReadOnlyList<FreezeRecord> LoadFreezes()
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, $"SELECT {ScheduleRows.FreezeColumns} FROM freezes ORDER BY environment, name");
        return StoreRows.ReadAll(cmd, ScheduleRows.Freeze);
    }

    /// <inheritdoc />
    public bool AddFreeze(FreezeRecord freeze, AuditRecord audit) => WriteScheduleRow("""
        INSERT INTO freezes (environment, name, start_at, end_at, days, local_start, local_end, time_zone, comment, created_by, created_at)
        VALUES (@env, @name, @sa, @ea, @days, @ls, @le, @tz, @cm, @by, @at)
        ON CONFLICT (environment, name) DO NOTHING
        """, cmd => AddValues(cmd, ScheduleRows.FreezeValues(freeze)), audit);

    /// <inheritdoc />
    public bool RemoveFreeze(string environment, string name, AuditRecord audit) => WriteScheduleRow(
        "DELETE FROM freezes WHERE environment = @env AND name = @name", cmd =>
        {
            cmd.Parameters.AddWithValue("env", environment);
            cmd.Parameters.AddWithValue("name", name);
        }, audit);
}
