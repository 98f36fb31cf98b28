namespace FlagKit.Cli;

/// <summary>
/// A write was sent and its answer lost: it may or may not have been applied. Carries the idempotency key it was sent
/// with, the exact command that retries it safely (applied at most once), and the command that shows what happened.
/// </summary>
internal sealed class OutcomeUnknownException(string message, string idempotencyKey, string retry, string check)
    : CommandFailedException(ExitCodes.OutcomeUnknown, message)
{
    /// <summary>The idempotency key the write was sent with.</summary>
    public string IdempotencyKey { get; } = idempotencyKey;

    /// <summary>The command line that retries the write with the same key.</summary>
    public string Retry { get; } = retry;

    /// <summary>The command line that shows whether it was applied.</summary>
    public string Check { get; } = check;
}
