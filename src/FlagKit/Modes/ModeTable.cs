namespace FlagKit.Modes;

/// <summary>
/// An environment's operating modes, compiled and immutable: what <see cref="FlagClient.IsReadOnly"/> and
/// <see cref="FlagClient.GetMode"/> read. Every query takes the time as an argument, so a switch's end is honoured by
/// the caller's clock even while the server is away. Queries allocate nothing and take no lock.
/// </summary>
internal sealed class ModeTable
{
    private readonly ModeEntry[] _entries;

    /// <summary>Creates a table.</summary>
    /// <param name="version">The modes' version (from the server).</param>
    /// <param name="entries">Switches and windows.</param>
    public ModeTable(long version, ModeEntry[] entries)
    {
        Version = version;
        _entries = entries;
    }

    /// <summary>No modes: normal for everyone (version 0).</summary>
    public static ModeTable Empty { get; } = new(0, []);

    /// <summary>The modes' version.</summary>
    public long Version { get; }

    /// <summary>How many switches and windows it holds.</summary>
    public int Count => _entries.Length;

    /// <summary>The mode for <paramref name="context"/> at <paramref name="now"/>.</summary>
    /// <param name="context">The context.</param>
    /// <param name="now">The time.</param>
    /// <returns>The most restrictive mode in force, until when it holds, and the window's message.</returns>
    public ModeStatus Evaluate(EvaluationContext? context, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        var mode = OperatingMode.Normal;
        var until = long.MinValue;
        string? message = null;
        foreach (var e in _entries)
        {
            if (!e.ActiveAt(ticks) || !e.Scope.Matches(context))
            {
                continue;
            }

            until = Math.Max(until, e.EndTicks);
            if (e.Mode > mode || (e.Mode == mode && message is null && e.Window is not null))
            {
                mode = e.Mode;
                message = e.Window?.Message;
            }
        }

        return mode == OperatingMode.Normal
            ? default
            : new ModeStatus(mode, until == long.MaxValue ? null : new DateTimeOffset(until, TimeSpan.Zero), message);
    }

    /// <summary>Whether <paramref name="context"/> is read-only (or in maintenance) at <paramref name="now"/>.</summary>
    /// <param name="context">The context.</param>
    /// <param name="now">The time.</param>
    /// <returns>True when any switch or window in force applies to it.</returns>
    public bool IsReadOnly(EvaluationContext? context, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        foreach (var e in _entries)
        {
            if (e.ActiveAt(ticks) && e.Scope.Matches(context))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The window in force or next to start for <paramref name="context"/> (the earliest start of those not yet ended).</summary>
    /// <param name="context">The context.</param>
    /// <param name="now">The time.</param>
    /// <returns>The window, or null when none is announced.</returns>
    public MaintenanceWindow? NextWindow(EvaluationContext? context, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        MaintenanceWindow? next = null;
        foreach (var e in _entries)
        {
            if (e.Window is { } w && e.EndTicks > ticks && (next is null || w.Start < next.Start) && e.Scope.Matches(context))
            {
                next = w;
            }
        }

        return next;
    }

    /// <summary>The first instant after <paramref name="now"/> at which a switch or window starts or ends.</summary>
    /// <param name="now">The time.</param>
    /// <returns>The instant, or null when nothing more will change by time alone.</returns>
    public DateTimeOffset? NextBoundary(DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        var next = long.MaxValue;
        foreach (var e in _entries)
        {
            if (e.StartTicks > ticks)
            {
                next = Math.Min(next, e.StartTicks);
            }

            if (e.EndTicks > ticks && e.EndTicks != long.MaxValue)
            {
                next = Math.Min(next, e.EndTicks);
            }
        }

        return next == long.MaxValue ? null : new DateTimeOffset(next, TimeSpan.Zero);
    }
}
