using FlagKit.Modes;
using FlagKit.Protocol.V1;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Modes;

/// <summary>
/// The edits the mode RPCs make to a mode document, each returning a one-line summary (null: nothing changed). Pure:
/// the caller clones the document, prunes what has ended, edits, validates and commits.
/// </summary>
internal static class ModeEdits
{
    /// <summary>Removes switches and windows that have ended by <paramref name="now"/>.</summary>
    /// <param name="document">The document (edited).</param>
    /// <param name="now">The server's clock.</param>
    public static void Prune(ModeDocument document, DateTimeOffset now)
    {
        document.Switches?.RemoveAll(s => s.Until is { } until && until <= now);
        document.Windows?.RemoveAll(w => w.End is { } end && end <= now);
    }

    /// <summary>Turns a switch on or off for a scope.</summary>
    /// <param name="document">The document (edited).</param>
    /// <param name="request">The request.</param>
    /// <param name="actor">Who.</param>
    /// <param name="now">The server's clock.</param>
    /// <returns>The summary, or null when nothing changed.</returns>
    /// <exception cref="WriteRefusedException">Invalid mode, or an end time that has passed.</exception>
    public static string? Switch(ModeDocument document, ModeSwitchRequest request, string actor, DateTimeOffset now)
    {
        var scope = ModeScopeText.ToMap(request.Scope);
        var scopeText = ModeScopeText.Of(scope);
        var modes = string.IsNullOrEmpty(request.Mode) && !request.On
            ? [ModeCompiler.ReadOnly, ModeCompiler.Maintenance]
            : new[] { ParseMode(request.Mode, ModeCompiler.ReadOnly) };
        var switches = document.Switches ??= [];
        if (!request.On)
        {
            var removed = switches.Where(s => modes.Contains(s.Mode) && s.Id == SwitchId(s.Mode!, scopeText)).ToList();
            switches.RemoveAll(removed.Contains);
            return removed.Count == 0 ? null : $"{string.Join(" and ", removed.Select(s => s.Mode))} off for {scopeText}";
        }

        DateTimeOffset? until = request.Until is { } u ? u.ToDateTimeOffset() : null;
        if (until is { } end && end <= now)
        {
            throw WriteRefusedException.Invalid($"until: {ModeScopeText.Time(end)} has passed (server time {ModeScopeText.Time(now)}); give a time ahead.");
        }

        var mode = modes[0];
        var id = SwitchId(mode, scopeText);
        var existing = switches.FindIndex(s => s.Id == id);
        if (existing >= 0 && switches[existing].Until == until)
        {
            return null;
        }

        var entry = new ModeSwitchDocument
        {
            Id = id, Mode = mode, Scope = scope, Until = until, By = actor, Reason = Cut(request.Comment), At = Whole(now),
        };
        if (existing >= 0)
        {
            switches[existing] = entry;
        }
        else
        {
            switches.Add(entry);
        }

        return $"{mode} on for {scopeText} {(until is { } t ? "until " + ModeScopeText.Time(t) : "until switched off")}";
    }

    /// <summary>Announces a window.</summary>
    /// <param name="document">The document (edited).</param>
    /// <param name="request">The request.</param>
    /// <param name="id">The window's id (the request's, or one the caller picked).</param>
    /// <param name="actor">Who.</param>
    /// <param name="now">The server's clock.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="WriteRefusedException">Missing or past times, or the id is taken.</exception>
    public static string Schedule(ModeDocument document, MaintenanceScheduleRequest request, string id, string actor, DateTimeOffset now)
    {
        if (request.Start is null || request.End is null)
        {
            throw WriteRefusedException.Invalid("start and end are required.");
        }

        var start = request.Start.ToDateTimeOffset();
        var end = request.End.ToDateTimeOffset();
        if (end <= start)
        {
            throw WriteRefusedException.Invalid($"end: {ModeScopeText.Time(end)} is not after start {ModeScopeText.Time(start)}.");
        }

        if (end <= now)
        {
            throw WriteRefusedException.Invalid($"end: {ModeScopeText.Time(end)} has passed (server time {ModeScopeText.Time(now)}).");
        }

        var windows = document.Windows ??= [];
        if (windows.Exists(w => w.Id == id))
        {
            throw new WriteRefusedException(WriteRefusal.AlreadyExists, $"Maintenance window '{id}' exists; cancel it first or pick another id.");
        }

        var mode = ParseMode(request.Mode, ModeCompiler.Maintenance);
        var scope = ModeScopeText.ToMap(request.Scope);
        windows.Add(new MaintenanceWindowDocument
        {
            Id = id, Mode = mode, Start = Whole(start), End = Whole(end), Message = request.Message, Scope = scope,
            By = actor, Reason = Cut(request.Comment), At = Whole(now),
        });
        windows.Sort((a, b) => Nullable.Compare(a.Start, b.Start));
        return $"{mode} window {id} scheduled for {ModeScopeText.Of(scope)}: {ModeScopeText.Time(start)} – {ModeScopeText.Time(end)}"
            + (request.Message.Length > 0 ? $" ({request.Message})" : "");
    }

    /// <summary>Cancels a window.</summary>
    /// <param name="document">The document (edited).</param>
    /// <param name="id">The window's id.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="WriteRefusedException">NotFound.</exception>
    public static string Cancel(ModeDocument document, string id)
    {
        var window = document.Windows?.Find(w => w.Id == id)
            ?? throw WriteRefusedException.NotFound($"No maintenance window '{id}' (it may have ended already).");
        document.Windows!.Remove(window);
        return $"window {id} cancelled ({ModeScopeText.Time(window.Start!.Value)} – {ModeScopeText.Time(window.End!.Value)})";
    }

    /// <summary>The id of the switch of a mode for a scope: one switch per mode and scope.</summary>
    /// <param name="mode">The mode's JSON name.</param>
    /// <param name="scopeText">The scope's canonical text.</param>
    /// <returns><c>read-only@region=eu</c>.</returns>
    public static string SwitchId(string mode, string scopeText) => $"{mode}@{scopeText}";

    private static string ParseMode(string? mode, string fallback)
    {
        if (string.IsNullOrEmpty(mode))
        {
            return fallback;
        }

        return ModeCompiler.TryParseMode(mode, out _)
            ? mode
            : throw WriteRefusedException.Invalid($"mode: '{mode}' is not a mode; use '{ModeCompiler.ReadOnly}' or '{ModeCompiler.Maintenance}'.");
    }

    private static DateTimeOffset Whole(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static string Cut(string text) => text.Length <= ModeCompiler.MaxMessage ? text : text[..ModeCompiler.MaxMessage];
}
