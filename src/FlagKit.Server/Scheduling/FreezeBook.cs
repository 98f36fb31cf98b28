using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;
using Google.Protobuf.WellKnownTypes;

namespace FlagKit.Server.Scheduling;

/// <summary>
/// The admin side of freezes: add, list and remove windows, each checked before it is stored and audited in the same
/// transaction. Removing a window in force is break-glass: it needs an override and a reason, recorded in the audit.
/// </summary>
/// <remarks>Thread safety: stateless apart from its dependencies; safe to call concurrently.</remarks>
internal sealed class FreezeBook
{
    private readonly IFreezeStore _store;
    private readonly FreezeCalendar _calendar;
    private readonly EnvironmentCatalog _catalog;
    private readonly TimeProvider _time;

    /// <summary>Creates the book.</summary>
    /// <param name="store">The store.</param>
    /// <param name="calendar">The calendar (reloaded after each change).</param>
    /// <param name="catalog">Environments.</param>
    /// <param name="time">The clock.</param>
    public FreezeBook(IFreezeStore store, FreezeCalendar calendar, EnvironmentCatalog catalog, TimeProvider time)
    {
        _store = store;
        _calendar = calendar;
        _catalog = catalog;
        _time = time;
    }

    /// <summary>Adds a window.</summary>
    /// <param name="window">The window.</param>
    /// <param name="caller">Who adds it.</param>
    /// <returns>The window and when it is in force.</returns>
    /// <exception cref="WriteRefusedException">Invalid (the field and problem), NotFound (environment), AlreadyExists (name).</exception>
    public FreezeInfo Add(FreezeWindow window, CallerIdentity caller)
    {
        var now = _time.GetUtcNow();
        var state = _catalog.Get(window.Environment);
        var rule = FreezeRule.Parse(new FreezeRecord(
            state.Name, window.Name, window.Start?.ToDateTimeOffset(), window.End?.ToDateTimeOffset(), string.Join(',', window.Days),
            window.LocalStart, window.LocalEnd, window.TimeZone, window.Comment, caller.Actor, now));
        if (!rule.IsRecurring && rule.Record.End <= now)
        {
            throw WriteRefusedException.Invalid($"Freeze '{window.Name}': FreezeWindow.end {LocalTimes.Format(rule.Record.End!.Value, null)} is in the past.");
        }

        var audit = new AuditRecord(0, now, caller.Actor, "FreezeAdd", state.Name, "freeze:" + rule.Record.Name, state.Revision,
            Describe(rule) + (string.IsNullOrEmpty(window.Comment) ? "" : " — " + window.Comment));
        if (!_store.AddFreeze(rule.Record, audit))
        {
            throw new WriteRefusedException(WriteRefusal.AlreadyExists, $"Environment '{state.Name}' already has a freeze named '{rule.Record.Name}'.");
        }

        _calendar.Reload();
        return Info(rule, now);
    }

    /// <summary>The windows of an environment (all when empty).</summary>
    /// <param name="request">The environment.</param>
    /// <returns>The windows and when each is in force.</returns>
    public FreezeListResponse List(FreezeListRequest request)
    {
        var environment = string.IsNullOrEmpty(request.Environment) ? null : _catalog.Get(request.Environment).Name;
        _calendar.Reload();
        var now = _time.GetUtcNow();
        var response = new FreezeListResponse();
        response.Freezes.AddRange(_calendar.Windows(environment).Select(r => Info(r, now)));
        return response;
    }

    /// <summary>Removes a window; one in force only as break-glass (override and reason).</summary>
    /// <param name="request">Environment, name, options (override, reason, comment).</param>
    /// <param name="caller">Who removes it.</param>
    /// <returns>The removed window.</returns>
    /// <exception cref="WriteRefusedException">NotFound; Conflict (in force, no override); Invalid (override without reason).</exception>
    public FreezeInfo Remove(FreezeRemoveRequest request, CallerIdentity caller)
    {
        var state = _catalog.Get(request.Environment);
        _calendar.Reload();
        var now = _time.GetUtcNow();
        var rule = _calendar.Windows(state.Name).FirstOrDefault(r => r.Record.Name == request.Name)
            ?? throw WriteRefusedException.NotFound($"Environment '{state.Name}' has no freeze named '{request.Name}'.");
        var options = request.Options ?? new WriteOptions();
        var detail = Describe(rule);
        if (rule.ActiveAt(now) is { } active)
        {
            if (!options.FreezeOverride)
            {
                throw WriteRefusedException.Conflict(
                    $"Freeze '{rule.Record.Name}' is in force until {active.Format(active.End)}; removing it is break-glass: give an override and a reason (flagkit freeze remove --override --reason).");
            }

            if (string.IsNullOrWhiteSpace(options.FreezeOverrideReason))
            {
                throw WriteRefusedException.Invalid("WriteOptions.freeze_override needs WriteOptions.freeze_override_reason: say why the freeze is broken (it is audited).");
            }

            detail = $"[break-glass: freeze '{rule.Record.Name}' in force until {active.Format(active.End)} removed: {options.FreezeOverrideReason.Trim()}] {detail}";
        }

        var audit = new AuditRecord(0, now, caller.Actor, "FreezeRemove", state.Name, "freeze:" + rule.Record.Name, state.Revision,
            detail + (string.IsNullOrEmpty(options.Comment) ? "" : " — " + options.Comment));
        if (!_store.RemoveFreeze(state.Name, rule.Record.Name, audit))
        {
            throw WriteRefusedException.NotFound($"Environment '{state.Name}' has no freeze named '{request.Name}'.");
        }

        _calendar.Reload();
        return Info(rule, now);
    }

    /// <summary>"every sat,sun 18:00-23:00 Europe/Rome" or "2026-12-05T18:00:00+00:00 to 2026-12-05T23:00:00+00:00".</summary>
    /// <param name="rule">The window.</param>
    /// <returns>The words.</returns>
    public static string Describe(FreezeRule rule) => rule.IsRecurring
        ? $"every {rule.Record.Days} {rule.Record.LocalStart}-{rule.Record.LocalEnd} {rule.Record.TimeZone}"
        : $"{LocalTimes.Format(rule.Record.Start!.Value, null)} to {LocalTimes.Format(rule.Record.End!.Value, null)}";

    private static FreezeInfo Info(FreezeRule rule, DateTimeOffset now)
    {
        var r = rule.Record;
        var window = new FreezeWindow
        {
            Environment = r.Environment, Name = r.Name, LocalStart = r.LocalStart, LocalEnd = r.LocalEnd, TimeZone = r.TimeZone,
            Comment = r.Comment, CreatedBy = r.CreatedBy, CreatedAt = Timestamp.FromDateTimeOffset(r.CreatedAt),
        };
        if (rule.IsRecurring)
        {
            window.Days.AddRange(r.Days.Split(','));
        }
        else
        {
            window.Start = Timestamp.FromDateTimeOffset(r.Start!.Value);
            window.End = Timestamp.FromDateTimeOffset(r.End!.Value);
        }

        var info = new FreezeInfo { Window = window };
        if (rule.ActiveAt(now) is { } active)
        {
            info.Active = true;
            info.CurrentEnd = Timestamp.FromDateTimeOffset(active.End);
        }

        if (rule.NextAfter(now) is { } next)
        {
            info.NextStart = Timestamp.FromDateTimeOffset(next.Start);
            info.NextEnd = Timestamp.FromDateTimeOffset(next.End);
        }

        return info;
    }
}
