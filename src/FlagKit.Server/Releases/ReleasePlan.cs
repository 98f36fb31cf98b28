namespace FlagKit.Server.Releases;

/// <summary>
/// A guarded release: the flag, the treatment variant ramped through <see cref="Steps"/> (percent of the flag's
/// traffic), the control variant serving the rest, how long each step is held, and the guards that judge it.
/// </summary>
internal sealed record ReleasePlan
{
    /// <summary>The flag key.</summary>
    public required string Flag { get; init; }

    /// <summary>The variant being released.</summary>
    public required string Treatment { get; init; }

    /// <summary>The variant it is compared with (serves everyone not in the treatment).</summary>
    public required string Control { get; init; }

    /// <summary>The treatment's share at each step, in percent, ascending; the last is 100 (reaching it completes the release).</summary>
    public int[] Steps { get; init; } = [1, 5, 25, 50, 100];

    /// <summary>How long each step is held (and judged) before the next.</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often SDK reports arrive and the release is evaluated.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests each variant needs in the step before any statistical judgement (and before the step can pass).</summary>
    public long MinimumSample { get; init; } = 1000;

    /// <summary>A step that lacks its minimum sample after this many holds pauses as inconclusive.</summary>
    public int InconclusiveAfterHolds { get; init; } = 3;

    /// <summary>A variant that has reported and then misses this many intervals pauses the release.</summary>
    public int StaleAfterIntervals { get; init; } = 3;

    /// <summary>What to do on harm.</summary>
    public RollbackAction Rollback { get; init; } = RollbackAction.ToZero;

    /// <summary>The guards.</summary>
    public ReleaseGuards Guards { get; init; } = new();

    /// <summary>The problems with this plan, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Flag)) problems.Add("flag: must not be empty.");
        if (string.IsNullOrWhiteSpace(Treatment)) problems.Add("treatment: must not be empty.");
        if (string.IsNullOrWhiteSpace(Control)) problems.Add("control: must not be empty.");
        if (Treatment == Control) problems.Add($"control: must differ from the treatment ('{Treatment}').");
        ValidateSteps(problems);
        if (Hold <= TimeSpan.Zero) problems.Add($"hold: {Hold} is not positive.");
        if (Interval <= TimeSpan.Zero || Interval > Hold) problems.Add($"interval: {Interval} must be positive and at most the hold ({Hold}).");
        if (MinimumSample < 1) problems.Add($"minimumSample: {MinimumSample} is below 1.");
        if (InconclusiveAfterHolds < 1) problems.Add($"inconclusiveAfterHolds: {InconclusiveAfterHolds} is below 1.");
        if (StaleAfterIntervals < 1) problems.Add($"staleAfterIntervals: {StaleAfterIntervals} is below 1.");
        problems.AddRange((Guards ?? new ReleaseGuards()).Validate());
        return problems;
    }

    private void ValidateSteps(List<string> problems)
    {
        if (Steps is null || Steps.Length == 0)
        {
            problems.Add("steps: must list at least one step.");
            return;
        }

        for (var i = 0; i < Steps.Length; i++)
        {
            if (Steps[i] is < 1 or > 100) problems.Add($"steps[{i}]: {Steps[i]} is not in 1..100.");
            else if (i > 0 && Steps[i] <= Steps[i - 1]) problems.Add($"steps[{i}]: {Steps[i]} is not above the step before ({Steps[i - 1]}).");
        }

        if (Steps.Length < 2) problems.Add("steps: at least one step below 100 is needed (the guarded steps).");
        if (Steps[^1] != 100) problems.Add($"steps[{Steps.Length - 1}]: the last step must be 100, not {Steps[^1]}.");
    }
}
