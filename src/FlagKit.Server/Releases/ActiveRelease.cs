namespace FlagKit.Server.Releases;

/// <summary>
/// A running or paused release as the runner holds it: its state, the gate that serializes its evaluations and
/// operator commands, its interval timer, and who last changed its flag behind its back.
/// </summary>
/// <remarks>Thread safety: <see cref="State"/> and <see cref="Timer"/> change only under <see cref="Gate"/>;
/// <see cref="ChangedBy"/> is set by the commit observer (under the environment's commit gate) without it.</remarks>
internal sealed class ActiveRelease(long id, string environment, string createdBy, DateTimeOffset createdAt, ReleaseState state)
{
    private string? _changedBy;

    /// <summary>The release's id.</summary>
    public long Id { get; } = id;

    /// <summary>The environment.</summary>
    public string Environment { get; } = environment;

    /// <summary>Who started it.</summary>
    public string CreatedBy { get; } = createdBy;

    /// <summary>When it started.</summary>
    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>The flag key.</summary>
    public string Flag => State.Plan.Flag;

    /// <summary>The author of its writes: <c>release:&lt;id&gt;</c>.</summary>
    public string Author => AuthorOf(Id);

    /// <summary>The current state.</summary>
    public ReleaseState State { get; set; } = state;

    /// <summary>Serializes evaluations and operator commands.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Events not yet stored (the store refused the last save), oldest first.</summary>
    public List<Store.ReleaseEventRecord> UnsavedEvents { get; } = [];

    /// <summary>Whether <see cref="State"/> is newer than the stored state (the last save failed; retried each interval).</summary>
    public bool Unsaved { get; set; }

    /// <summary>The interval timer while running (or while an ended release's state waits to be stored).</summary>
    public ITimer? Timer { get; set; }

    /// <summary>1 while a timer tick waits for <see cref="Gate"/>: further ticks then coalesce into it (see <c>ReleaseRunner.EvaluateAsync</c>).</summary>
    public int TickWaiting;

    /// <summary>Who committed a change to the flag that the release did not make, since the release last wrote it (null: nobody).</summary>
    public string? ChangedBy
    {
        get => Volatile.Read(ref _changedBy);
        set => Volatile.Write(ref _changedBy, value);
    }

    /// <summary>The author of a release's writes.</summary>
    /// <param name="id">The release's id.</param>
    /// <returns><c>release:&lt;id&gt;</c>.</returns>
    public static string AuthorOf(long id) => $"release:{id}";
}
