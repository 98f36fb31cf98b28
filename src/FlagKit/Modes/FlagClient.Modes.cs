using FlagKit.Modes;

namespace FlagKit;

/// <summary>
/// Operating modes: <see cref="IsReadOnly"/>, <see cref="GetMode"/>, <see cref="GetNextMaintenanceWindow"/> and
/// <see cref="ModeChanged"/>. The modes are an immutable table swapped in whole (like the snapshot) and read with one
/// volatile load: no lock, no allocation. Ends and starts are judged by <see cref="FlagClientOptions.TimeProvider"/>,
/// so a switch with an end time ends on time even while the server is away.
/// </summary>
public sealed partial class FlagClient : IModeSink
{
    private static readonly TimeSpan MaxModeTimerWait = TimeSpan.FromDays(1);
    private ModeTable _modes = ModeTable.Empty;
    private ITimer? _modeTimer;
    private DateTimeOffset _modeBoundary = DateTimeOffset.MaxValue;

    /// <summary>
    /// Raised when the operating modes change: new switches or windows arrived, or one started or ended by the
    /// client's clock. Re-read <see cref="GetMode"/> for the contexts you care about.
    /// </summary>
    /// <remarks>Raised like <see cref="FlagsChanged"/>: on a task of the client's own, in order, with no lock held.</remarks>
    public event EventHandler<ModeChangedEventArgs>? ModeChanged;

    /// <summary>The current modes table: one volatile read.</summary>
    internal ModeTable Modes => Volatile.Read(ref _modes);

    ModeTable IModeSink.CurrentModes => Modes;

    /// <summary>
    /// Whether the environment is read-only (or in maintenance) for <paramref name="context"/> now: game code checks
    /// it before a write. Normal (false) until the source delivers modes, and with a server that has none.
    /// </summary>
    /// <param name="context">Who asks (region, game, app... as for flags); none when <see langword="null"/>: only switches for everyone apply.</param>
    /// <returns>True while a read-only or maintenance switch or window applies to the context.</returns>
    /// <remarks>Never throws; takes no lock; allocates nothing.</remarks>
    public bool IsReadOnly(EvaluationContext? context = null)
    {
        var modes = Modes;
        return modes.Count != 0 && modes.IsReadOnly(context, _options.TimeProvider.GetUtcNow());
    }

    /// <summary>The operating mode for <paramref name="context"/> now, until when it holds, and the window's message.</summary>
    /// <param name="context">Who asks; none when <see langword="null"/>.</param>
    /// <returns>The mode (<see cref="OperatingMode.Normal"/> when nothing applies).</returns>
    /// <remarks>Never throws; takes no lock; allocates nothing.</remarks>
    public ModeStatus GetMode(EvaluationContext? context = null)
    {
        var modes = Modes;
        return modes.Count == 0 ? default : modes.Evaluate(context, _options.TimeProvider.GetUtcNow());
    }

    /// <summary>
    /// The maintenance window in force or next to start for <paramref name="context"/>: its start, end and message, for
    /// a banner ("maintenance in 10 minutes").
    /// </summary>
    /// <param name="context">Who asks; none when <see langword="null"/>.</param>
    /// <returns>The window, or <see langword="null"/> when none is announced.</returns>
    /// <remarks>Never throws; takes no lock; allocates nothing.</remarks>
    public MaintenanceWindow? GetNextMaintenanceWindow(EvaluationContext? context = null)
    {
        var modes = Modes;
        return modes.Count == 0 ? null : modes.NextWindow(context, _options.TimeProvider.GetUtcNow());
    }

    void IModeSink.PublishModes(ModeTable next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            var previous = _modes;
            Volatile.Write(ref _modes, next);
            ModeLog.ModesChanged(_logger, next.Version, next.Count, previous.Version);
            _events.Post(ModeChanged, this, new ModeChangedEventArgs(next.Version, _options.TimeProvider.GetUtcNow(), timeBoundary: false), nameof(ModeChanged));
            ArmModeTimerLocked(next);
        }
    }

    /// <summary>Sets the timer to the next start or end, so that <see cref="ModeChanged"/> is raised when it passes.</summary>
    private void ArmModeTimerLocked(ModeTable modes)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var due = modes.NextBoundary(now);
        if (due is null)
        {
            _modeTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        // At the boundary the new mode is in force (a start is inclusive, an end exclusive). A boundary further than a
        // timer can wait (a window announced months ahead) is approached in steps of at most a day.
        _modeBoundary = due.Value;
        var wait = TimeSpan.FromTicks(Math.Min((due.Value - now).Ticks, MaxModeTimerWait.Ticks));
        _modeTimer ??= _options.TimeProvider.CreateTimer(static s => ((FlagClient)s!).OnModeBoundary(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _modeTimer.Change(wait, Timeout.InfiniteTimeSpan);
    }

    private void OnModeBoundary()
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            var modes = _modes;
            var now = _options.TimeProvider.GetUtcNow();
            if (now >= _modeBoundary)
            {
                _events.Post(ModeChanged, this, new ModeChangedEventArgs(modes.Version, now, timeBoundary: true), nameof(ModeChanged));
            }

            ArmModeTimerLocked(modes);
        }
    }

    private void DisposeModeTimer()
    {
        lock (_gate)
        {
            _modeTimer?.Dispose();
            _modeTimer = null;
        }
    }
}
