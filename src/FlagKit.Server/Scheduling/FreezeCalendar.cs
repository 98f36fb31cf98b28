using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Scheduling;

/// <summary>
/// The freeze windows of every environment, in memory, and the one check every write passes
/// (<see cref="Admit"/>): during a freeze a write is refused naming the window and its end, except a break-glass
/// kill or rollback with an override and a reason, which goes through and is recorded as such.
/// </summary>
/// <remarks>
/// <para>Loaded from the store at start, reloaded after each local change and by the <see cref="ScheduleRunner"/>
/// every few seconds (so a window added on another replica takes effect there within that time).</para>
/// <para>The queries (<see cref="ActiveAt"/>, <see cref="NextEnd"/>) are meant for anything that must wait for a freeze
/// (scheduled changes here, release steps in <see cref="Releases.ReleaseRunner"/>).</para>
/// <para>Thread safety: all members are safe to call concurrently (the windows are an immutable map swapped whole).</para>
/// </remarks>
internal sealed class FreezeCalendar
{
    /// <summary>How many back-to-back or overlapping occurrences <see cref="NextEnd"/> follows before it stops.</summary>
    private const int MaxChain = 64;

    private readonly IFreezeStore _store;
    private readonly TimeProvider _time;
    private volatile IReadOnlyDictionary<string, FreezeRule[]> _rules = new Dictionary<string, FreezeRule[]>(StringComparer.Ordinal);

    /// <summary>Creates the calendar and loads the windows.</summary>
    /// <param name="store">The store.</param>
    /// <param name="time">The clock.</param>
    public FreezeCalendar(IFreezeStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
        Reload();
    }

    /// <summary>Reads every window from the store again.</summary>
    public void Reload()
    {
        var rules = new Dictionary<string, List<FreezeRule>>(StringComparer.Ordinal);
        foreach (var record in _store.LoadFreezes())
        {
            FreezeRule rule;
            try
            {
                rule = FreezeRule.Parse(record);
            }
            catch (WriteRefusedException)
            {
                // Checked when added; a zone the host no longer knows freezes nothing rather than everything.
                continue;
            }

            (rules.TryGetValue(record.Environment, out var list) ? list : rules[record.Environment] = []).Add(rule);
        }

        _rules = rules.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The windows of an environment (all environments when null), by environment and name.</summary>
    /// <param name="environment">The environment, or null.</param>
    /// <returns>The windows.</returns>
    public IReadOnlyList<FreezeRule> Windows(string? environment) =>
        environment is null
            ? _rules.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Value).ToList()
            : _rules.TryGetValue(environment, out var rules) ? rules : [];

    /// <summary>The freeze in force in <paramref name="environment"/> at <paramref name="instant"/>: of several, the one ending last.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="instant">The instant.</param>
    /// <returns>The occurrence, or null when the environment is not frozen then.</returns>
    public FreezeOccurrence? ActiveAt(string environment, DateTimeOffset instant) =>
        Windows(environment).Select(r => r.ActiveAt(instant)).Where(o => o is not null).MaxBy(o => o!.End);

    /// <summary>
    /// When <paramref name="environment"/>, frozen at <paramref name="instant"/>, stops being frozen: the end of the
    /// freeze in force, followed through windows that overlap it or start as it ends.
    /// </summary>
    /// <param name="environment">The environment.</param>
    /// <param name="instant">The instant.</param>
    /// <returns>The first instant not frozen, or null when not frozen at <paramref name="instant"/>.</returns>
    public DateTimeOffset? NextEnd(string environment, DateTimeOffset instant)
    {
        if (ActiveAt(environment, instant) is not { } active)
        {
            return null;
        }

        var end = active.End;
        for (var i = 0; i < MaxChain && ActiveAt(environment, end) is { } next; i++)
        {
            end = next.End;
        }

        return end;
    }

    /// <summary>"environment 'prod' is frozen by 'euro-final' until 2026-12-05T23:00:00+01:00", or null when not frozen.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="instant">The instant.</param>
    /// <returns>The words, or null.</returns>
    public string? Describe(string environment, DateTimeOffset instant) =>
        ActiveAt(environment, instant) is { } active
            ? $"environment '{environment}' is frozen by '{active.Name}' until {active.Format(NextEnd(environment, instant)!.Value)}"
            : null;

    /// <summary>
    /// The freeze check of the write path: passes a write when its environment is not frozen (or it is a dry run),
    /// passes a break-glass kill or rollback (override and reason) with the override written into its history operation
    /// and its audit comment, and refuses anything else.
    /// </summary>
    /// <param name="command">The write.</param>
    /// <returns>The write to run (the same, or annotated for a break-glass).</returns>
    /// <exception cref="WriteRefusedException">Conflict (FAILED_PRECONDITION) naming the window and its end; Invalid for an override without a reason.</exception>
    public WriteCommand Admit(WriteCommand command)
    {
        var options = command.Options;
        var overriding = options?.FreezeOverride == true;
        if (overriding && string.IsNullOrWhiteSpace(options!.FreezeOverrideReason))
        {
            throw WriteRefusedException.Invalid("WriteOptions.freeze_override needs WriteOptions.freeze_override_reason: say why the freeze is broken (it is audited).");
        }

        if (command.DryRun || Describe(command.Environment, _time.GetUtcNow()) is not { } frozen)
        {
            return command;
        }

        var name = ActiveAt(command.Environment, _time.GetUtcNow())?.Name ?? "";
        if (!overriding)
        {
            throw WriteRefusedException.Conflict(
                $"Write refused: {frozen}. Break-glass: a kill, a rollback or removing the freeze may override it with a reason (flagkit --override --reason).");
        }

        if (!IsBreakGlass(command))
        {
            throw WriteRefusedException.Conflict(
                $"Write refused: {frozen}. An override is only for a kill, a rollback or removing the freeze; {command.Action} waits for the freeze to end.");
        }

        var note = $"break-glass: freeze '{name}' overridden: {options!.FreezeOverrideReason.Trim()}";
        var annotated = options.Clone();
        annotated.Comment = string.IsNullOrEmpty(options.Comment) ? $"[{note}]" : $"[{note}] {options.Comment}";
        return command with { Options = annotated, Operation = string.IsNullOrEmpty(command.Operation) ? note : $"{command.Operation} ({note})" };
    }

    /// <summary>A kill (<c>SetFlagState</c> KILL), a rollback, or a release's rollback (<see cref="WriteCommand.BreakGlass"/>).</summary>
    private static bool IsBreakGlass(WriteCommand command) =>
        command.BreakGlass || command.Request switch
        {
            SetFlagStateRequest state => state.Change == FlagStateChange.Kill,
            RollbackRequest => true,
            _ => false,
        };
}
