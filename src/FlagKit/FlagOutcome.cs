using FlagKit.Telemetry;

namespace FlagKit;

/// <summary>
/// One operation's outcome, recorded against the variant a flag served for a context: returned by
/// <see cref="FlagClient.StartOutcome"/>, it measures from there until it is disposed, and records a success unless
/// <see cref="Fail"/> was called.
/// </summary>
/// <example>
/// <code>
/// using var outcome = flags.StartOutcome("checkout-v2", context);
/// try { await Checkout(cart); }
/// catch { outcome.Fail(); throw; }
/// </code>
/// </example>
/// <remarks>
/// Allocates nothing (its state is pooled). Records once: disposing a copy, or disposing twice, does nothing more.
/// Meant for one flow of control; do not share one scope between threads that complete it at the same time. A scope
/// for a flag that is missing or serves the caller's default (no variant) records nothing.
/// </remarks>
public readonly struct FlagOutcome : IDisposable
{
    private readonly OutcomeToken? _token;
    private readonly int _generation;

    internal FlagOutcome(OutcomeToken token)
    {
        _token = token;
        _generation = token.Generation;
    }

    /// <summary>The variant the flag served for the context (what the outcome is recorded against); null when none.</summary>
    public string? Variant => _token is { } token && token.Generation == _generation ? token.VariantName : null;

    /// <summary>Marks the operation failed: it is recorded as a failure when the scope is disposed.</summary>
    public void Fail() => _token?.SetFailed(_generation, true);

    /// <summary>Marks the operation succeeded again (after <see cref="Fail"/>, e.g. a retry that worked).</summary>
    public void Succeed() => _token?.SetFailed(_generation, false);

    /// <summary>Records the outcome and its duration (once).</summary>
    public void Dispose() => _token?.Complete(_generation);
}
