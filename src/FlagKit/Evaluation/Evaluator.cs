namespace FlagKit.Evaluation;

/// <summary>
/// The evaluation routine: the order of checks every SDK keeps (see DESIGN.md, "Evaluation semantics").
/// </summary>
/// <remarks>
/// Reads only immutable compiled data and the (immutable) context: no lock, no await, no allocation. Faults are
/// turned into results by <see cref="FlagSnapshot.Evaluate"/>, never thrown to the caller.
/// </remarks>
internal static class Evaluator
{
    /// <summary>Prerequisite chains deeper than this are treated as a fault (validation refuses cycles; this is a guard).</summary>
    public const int MaxPrerequisiteDepth = 16;

    public static FlagEvaluation Evaluate(FlagSnapshot snapshot, CompiledFlag flag, EvaluationContext context, int depth)
    {
        var revision = snapshot.Revision;
        if (flag.ConstantVariant >= 0)
        {
            return new FlagEvaluation(flag, flag.ConstantVariant, flag.ConstantReason, EvaluationErrorCode.None, null, revision);
        }

        if (flag.Failure is not null)
        {
            return FlagEvaluation.Fault(flag, EvaluationReason.Error, EvaluationErrorCode.InvalidFlag, revision);
        }

        if (flag.Killed)
        {
            return new FlagEvaluation(flag, flag.OffVariant, EvaluationReason.Killed, EvaluationErrorCode.None, null, revision);
        }

        if (!flag.On)
        {
            return new FlagEvaluation(flag, flag.OffVariant, EvaluationReason.Disabled, EvaluationErrorCode.None, null, revision);
        }

        var prerequisites = flag.Prerequisites;
        if (prerequisites.Length != 0)
        {
            if (depth >= MaxPrerequisiteDepth)
            {
                return FlagEvaluation.Fault(flag, EvaluationReason.Error, EvaluationErrorCode.PrerequisiteDepthExceeded, revision);
            }

            foreach (var prerequisite in prerequisites)
            {
                if (!snapshot.TryGetFlag(prerequisite.FlagKey, out var required))
                {
                    return new FlagEvaluation(flag, flag.OffVariant, EvaluationReason.PrerequisiteFailed, EvaluationErrorCode.None, null, revision);
                }

                var result = Evaluate(snapshot, required, context, depth + 1);
                if (result.ErrorCode == EvaluationErrorCode.PrerequisiteDepthExceeded)
                {
                    return FlagEvaluation.Fault(flag, EvaluationReason.Error, EvaluationErrorCode.PrerequisiteDepthExceeded, revision);
                }

                // Met only when the prerequisite is itself on and serving by targeting (not off, killed, failing
                // its own prerequisites or in error) and serves the required variant.
                if (result.Reason is not (EvaluationReason.TargetMatch or EvaluationReason.RuleMatch or EvaluationReason.Default or EvaluationReason.Split)
                    || !string.Equals(result.Variant!.Name, prerequisite.Variant, StringComparison.Ordinal))
                {
                    return new FlagEvaluation(flag, flag.OffVariant, EvaluationReason.PrerequisiteFailed, EvaluationErrorCode.None, null, revision);
                }
            }
        }

        if (flag.Targets is { } targets && context.AccountId is { } accountId && targets.TryGetValue(accountId, out var targeted))
        {
            return new FlagEvaluation(flag, targeted, EvaluationReason.TargetMatch, EvaluationErrorCode.None, null, revision);
        }

        foreach (var rule in flag.Rules)
        {
            if (AllMatch(rule.Conditions, context))
            {
                return Serve(flag, rule.Serve, context, EvaluationReason.RuleMatch, EvaluationReason.RuleMatch, rule.Id, revision);
            }
        }

        return Serve(flag, flag.DefaultServe, context, EvaluationReason.Default, EvaluationReason.Split, null, revision);
    }

    public static bool AllMatch(Condition[] conditions, EvaluationContext context)
    {
        foreach (var condition in conditions)
        {
            if (!condition.Matches(context))
            {
                return false;
            }
        }

        return true;
    }

    private static FlagEvaluation Serve(CompiledFlag flag, in CompiledServe serve, EvaluationContext context, EvaluationReason variantReason, EvaluationReason splitReason, string? ruleId, long revision)
    {
        if (serve.Split is not { } split)
        {
            return new FlagEvaluation(flag, serve.Variant, variantReason, EvaluationErrorCode.None, ruleId, revision);
        }

        var key = context.Get(split.BucketBy)?.Text;
        if (key is null)
        {
            return new FlagEvaluation(flag, -1, EvaluationReason.Error, EvaluationErrorCode.TargetingKeyMissing, ruleId, revision);
        }

        var bucket = MurmurHash3.Bucket(split.SaltAndSlashUtf8, key);
        return new FlagEvaluation(flag, split.VariantFor(bucket), splitReason, EvaluationErrorCode.None, ruleId, revision);
    }
}
