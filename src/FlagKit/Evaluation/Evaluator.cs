using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace FlagKit.Evaluation;

/// <summary>
/// The evaluation routine: the order of checks every SDK keeps (see docs/architecture.md, "Evaluation order").
/// </summary>
/// <remarks>
/// <para>
/// Reads only immutable compiled data and the (immutable) context: no lock, no await, no allocation. Faults are
/// turned into results by <see cref="FlagSnapshot.Evaluate(CompiledFlag, EvaluationContext?)"/>, never thrown to the caller.
/// </para>
/// <para>
/// Shaped for the JIT: <see cref="Resolve"/> works on plain integers and references and the result struct is built
/// once, at the end. Building a <see cref="FlagEvaluation"/> at each of a dozen exits made the compiled method carry
/// a dozen struct temporaries, a 570-byte frame zeroed on every call.
/// </para>
/// </remarks>
internal static class Evaluator
{
    /// <summary>Prerequisite chains deeper than this are treated as a fault (validation refuses cycles; this is a guard).</summary>
    public const int MaxPrerequisiteDepth = 16;

    // Not inlined on purpose: inlined into the try block of FlagSnapshot.Evaluate, every local of this method lives on
    // the stack (the JIT keeps variables that cross an exception region in memory).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static FlagEvaluation Evaluate(FlagSnapshot snapshot, CompiledFlag flag, EvaluationContext context, int depth)
    {
        var outcome = new Outcome { RuleIndex = -1 };
        var variant = Resolve(snapshot, flag, context, depth, ref outcome);
        var ruleId = outcome.RuleIndex >= 0 ? flag.Rules[outcome.RuleIndex].Id : null;
        return new FlagEvaluation(flag, variant, outcome.Reason, outcome.ErrorCode, ruleId, snapshot.Revision);
    }

    /// <summary>The variant served (-1: the caller's default), for the typed getters that need nothing else.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Variant(FlagSnapshot snapshot, CompiledFlag flag, EvaluationContext context)
    {
        var outcome = default(Outcome);
        return Resolve(snapshot, flag, context, 0, ref outcome);
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

    /// <summary>The variant served (-1: the caller's default), with the reason, error and rule in <paramref name="outcome"/>.</summary>
    private static int Resolve(FlagSnapshot snapshot, CompiledFlag flag, EvaluationContext context, int depth, ref Outcome outcome)
    {
        // Killed and off flags are constant (decided when compiled, see CompiledFlag), and every caller answers a
        // constant flag before it gets here (FlagSnapshot, PrerequisitesMet): the kill switch wins over everything below.
        Debug.Assert(flag.ConstantVariant < 0, "constant flags are answered by the caller");

        if (flag.Failure is not null)
        {
            return outcome.Fail(EvaluationReason.Error, EvaluationErrorCode.InvalidFlag);
        }

        if (flag.Prerequisites.Length != 0)
        {
            if (depth >= MaxPrerequisiteDepth)
            {
                return outcome.Fail(EvaluationReason.Error, EvaluationErrorCode.PrerequisiteDepthExceeded);
            }

            if (!PrerequisitesMet(snapshot, flag, context, depth, ref outcome))
            {
                return outcome.ErrorCode == EvaluationErrorCode.None ? flag.OffVariant : -1;
            }
        }

        if (flag.Targets is { } targets && context.Get(AttributeRef.AccountId) is { } accountId
            && targets.TryGetValue(accountId.Text, accountId.Hash, out var targeted))
        {
            outcome.Reason = EvaluationReason.TargetMatch;
            return targeted;
        }

        var rules = flag.Rules;
        for (var i = 0; i < rules.Length; i++)
        {
            ref readonly var rule = ref rules[i];
            if (rule.Matches(context))
            {
                outcome.RuleIndex = i;
                return Serve(in rule.Serve, context, EvaluationReason.RuleMatch, EvaluationReason.RuleMatch, ref outcome);
            }
        }

        return Serve(in flag.DefaultServe, context, EvaluationReason.Default, EvaluationReason.Split, ref outcome);
    }

    // Met only when each prerequisite is itself on and serving by targeting (not off, killed, failing its own
    // prerequisites or in error) and serves the required variant. On false, outcome says why (PREREQUISITE_FAILED, or
    // an error when the chain is too deep).
    private static bool PrerequisitesMet(FlagSnapshot snapshot, CompiledFlag flag, EvaluationContext context, int depth, ref Outcome outcome)
    {
        foreach (var prerequisite in flag.Prerequisites)
        {
            if (!snapshot.TryGetFlag(prerequisite.FlagKey, out var required))
            {
                outcome.Reason = EvaluationReason.PrerequisiteFailed;
                return false;
            }

            var inner = default(Outcome);
            int variant;
            if (required.ConstantVariant >= 0)
            {
                inner.Reason = required.ConstantReason;
                variant = required.ConstantVariant;
            }
            else
            {
                variant = Resolve(snapshot, required, context, depth + 1, ref inner);
            }

            if (inner.ErrorCode == EvaluationErrorCode.PrerequisiteDepthExceeded)
            {
                outcome.Fail(EvaluationReason.Error, EvaluationErrorCode.PrerequisiteDepthExceeded);
                return false;
            }

            if (inner.Reason is not (EvaluationReason.TargetMatch or EvaluationReason.RuleMatch or EvaluationReason.Default or EvaluationReason.Split)
                || !string.Equals(required.Variants[variant].Name, prerequisite.Variant, StringComparison.Ordinal))
            {
                outcome.Reason = EvaluationReason.PrerequisiteFailed;
                return false;
            }
        }

        return true;
    }

    private static int Serve(in CompiledServe serve, EvaluationContext context, EvaluationReason variantReason, EvaluationReason splitReason, ref Outcome outcome)
    {
        if (serve.Split is not { } split)
        {
            outcome.Reason = variantReason;
            return serve.Variant;
        }

        if (context.Get(split.BucketBy)?.Text is not { } key)
        {
            return outcome.Fail(EvaluationReason.Error, EvaluationErrorCode.TargetingKeyMissing);
        }

        outcome.Reason = splitReason;
        return split.VariantFor(split.Bucket(key));
    }

    /// <summary>Why a variant was chosen: filled in by <see cref="Resolve"/> on the caller's stack.</summary>
    private struct Outcome
    {
        public EvaluationReason Reason;
        public EvaluationErrorCode ErrorCode;
        /// <summary>The index of the rule that matched, when one did (a number, so that this struct holds no reference the JIT must zero).</summary>
        public int RuleIndex;

        public int Fail(EvaluationReason reason, EvaluationErrorCode errorCode)
        {
            Reason = reason;
            ErrorCode = errorCode;
            return -1;
        }
    }
}
