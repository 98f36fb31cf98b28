namespace FlagKit.Cli;

/// <summary>
/// The process exit codes of <c>flagkit</c>. They are part of its contract with scripts: documented in
/// <c>docs/cli.md</c> and <c>flagkit --help</c>, and never renumbered.
/// </summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>Anything not covered by a more specific code.</summary>
    public const int Other = 1;

    /// <summary>The command line is wrong (unknown command or option, missing argument, no confirmation).</summary>
    public const int Usage = 2;

    /// <summary>The flag, environment, revision or key does not exist.</summary>
    public const int NotFound = 3;

    /// <summary>Conflict: the environment moved on since the revision the write expected (or the name exists).</summary>
    public const int Conflict = 4;

    /// <summary>The key is missing, wrong, revoked, or not allowed to do this (an SDK key writing, say).</summary>
    public const int Auth = 5;

    /// <summary>The flag server could not be reached or did not answer in time.</summary>
    public const int Unreachable = 6;

    /// <summary>The input is invalid: a flags file, a config file, or a value the server refused as invalid.</summary>
    public const int Invalid = 7;

    /// <summary><c>--wait</c> timed out: the change IS committed, but not every SDK instance acknowledged it.</summary>
    public const int WaitTimedOut = 8;

    /// <summary>
    /// A write was sent but its answer was lost (the connection broke, or the deadline passed): it may or may not have
    /// been applied. Retry with the idempotency key printed (applied at most once), or check the history.
    /// </summary>
    public const int OutcomeUnknown = 9;

    /// <summary><c>release … --wait</c>: the release rolled back (harm found) or was aborted.</summary>
    public const int ReleaseRolledBack = 10;

    /// <summary><c>release … --wait</c>: the release paused (inconclusive, untrusted data, an operator, or someone else changed the flag).</summary>
    public const int ReleasePaused = 11;

    /// <summary>The table printed by <c>flagkit --help</c> and reproduced in <c>docs/cli.md</c>.</summary>
    public static readonly (int Code, string Meaning)[] Table =
    [
        (Ok, "ok"),
        (Other, "other error"),
        (Usage, "usage error (bad command line, or a destructive command without --yes off a terminal)"),
        (NotFound, "not found (flag, environment, revision, key)"),
        (Conflict, "conflict: the environment changed since the expected revision; re-run diff/apply"),
        (Auth, "authentication or permission refused (missing/revoked key, SDK key used for a write)"),
        (Unreachable, "flag server unreachable or not answering"),
        (Invalid, "invalid input (flags file, config file, or a value the server refused)"),
        (WaitTimedOut, "--wait timed out: the change is committed but not every SDK instance applied it"),
        (OutcomeUnknown, "a write was sent but the answer was lost: it may have been applied; retry with the printed --idempotency-key, or check history"),
        (ReleaseRolledBack, "release --wait: the release rolled back (harm found) or was aborted"),
        (ReleasePaused, "release --wait: the release paused (inconclusive, untrusted data, an operator, or a change to its flag)"),
    ];

    /// <summary>A short machine name for a code, used in <c>--json</c> error objects.</summary>
    public static string Name(int code) => code switch
    {
        Ok => "ok",
        Usage => "usage",
        NotFound => "not_found",
        Conflict => "conflict",
        Auth => "auth",
        Unreachable => "unreachable",
        Invalid => "invalid",
        WaitTimedOut => "wait_timed_out",
        OutcomeUnknown => "outcome_unknown",
        ReleaseRolledBack => "release_rolled_back",
        ReleasePaused => "release_paused",
        _ => "error",
    };
}

/// <summary>
/// A command failed in a way the user can act on. <see cref="Exception.Message"/> is the one line printed:
/// what failed, and what to do.
/// </summary>
internal class CommandFailedException(int exitCode, string message) : Exception(message)
{
    /// <summary>The process exit code (see <see cref="ExitCodes"/>).</summary>
    public int ExitCode { get; } = exitCode;
}
