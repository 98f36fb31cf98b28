using FlagKit.Evaluation;

namespace FlagKit.Telemetry;

/// <summary>
/// The mutable state behind a <see cref="FlagOutcome"/> scope (a readonly struct cannot remember <c>Fail()</c> by
/// itself under <c>using var</c>): pooled and reused, so that a scope allocates nothing once the pool is warm. Its
/// generation changes on every use, so a stale copy of a scope finds a different generation and does nothing.
/// </summary>
internal sealed class OutcomeToken
{
    private static readonly OutcomeToken?[] Shared = new OutcomeToken?[64];

    [ThreadStatic]
    private static OutcomeToken? t_cached;

    private int _generation;
    private FlagTelemetry? _telemetry;
    private CompiledFlag? _flag;
    private TimeProvider? _time;
    private int _variant;
    private long _started;
    private volatile bool _failed;

    /// <summary>The generation a new scope is bound to.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>The variant's name, while in use.</summary>
    public string? VariantName { get; private set; }

    /// <summary>A token from the pool (or a new one), started now.</summary>
    public static OutcomeToken Rent(FlagTelemetry telemetry, CompiledFlag flag, int variant, TimeProvider time)
    {
        var token = t_cached;
        if (token is not null)
        {
            t_cached = null;
        }
        else
        {
            token = TakeShared() ?? new OutcomeToken();
        }

        token._telemetry = telemetry;
        token._flag = flag;
        token._variant = variant;
        token._time = time;
        token._failed = false;
        token.VariantName = flag.Variants[variant].Name;
        token._started = time.GetTimestamp();
        return token;
    }

    /// <summary>Marks the operation failed (or succeeded) if <paramref name="generation"/> is still current.</summary>
    public void SetFailed(int generation, bool failed)
    {
        if (Volatile.Read(ref _generation) == generation)
        {
            _failed = failed;
        }
    }

    /// <summary>Records the outcome once, for the scope of <paramref name="generation"/>, and returns the token to the pool.</summary>
    public void Complete(int generation)
    {
        if (Interlocked.CompareExchange(ref _generation, generation + 1, generation) != generation)
        {
            return;
        }

        var milliseconds = _time!.GetElapsedTime(_started).TotalMilliseconds;
        _telemetry!.RecordOutcome(_flag!, _variant, !_failed, milliseconds);
        _telemetry = null;
        _flag = null;
        _time = null;
        VariantName = null;
        Return(this);
    }

    private static OutcomeToken? TakeShared()
    {
        for (var i = 0; i < Shared.Length; i++)
        {
            if (Volatile.Read(ref Shared[i]) is not null && Interlocked.Exchange(ref Shared[i], null) is { } token)
            {
                return token;
            }
        }

        return null;
    }

    private static void Return(OutcomeToken token)
    {
        if (t_cached is null)
        {
            t_cached = token;
            return;
        }

        for (var i = 0; i < Shared.Length; i++)
        {
            if (Interlocked.CompareExchange(ref Shared[i], token, null) is null)
            {
                return;
            }
        }
    }
}
