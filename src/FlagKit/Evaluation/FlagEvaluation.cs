namespace FlagKit.Evaluation;

/// <summary>
/// The outcome of evaluating one flag against one snapshot: which variant (if any) and why. The one result every
/// typed getter (and the version helper) turns into its value.
/// </summary>
internal readonly struct FlagEvaluation
{
    public FlagEvaluation(CompiledFlag? flag, int variant, EvaluationReason reason, EvaluationErrorCode errorCode, string? ruleId, long revision)
    {
        Flag = flag;
        VariantIndex = variant;
        Reason = reason;
        ErrorCode = errorCode;
        RuleId = ruleId;
        Revision = revision;
    }

    /// <summary>The flag evaluated; <see langword="null"/> when not found.</summary>
    public CompiledFlag? Flag { get; }

    /// <summary>The index of the variant served, or -1 when the caller's default is to be served.</summary>
    public int VariantIndex { get; }

    public EvaluationReason Reason { get; }

    public EvaluationErrorCode ErrorCode { get; }

    public string? RuleId { get; }

    public long FlagVersion => Flag?.Version ?? 0;

    public long Revision { get; }

    /// <summary>The variant served, or <see langword="null"/> when the caller's default is to be served.</summary>
    public CompiledVariant? Variant => VariantIndex >= 0 ? Flag!.Variants[VariantIndex] : null;

    public static FlagEvaluation Fault(CompiledFlag? flag, EvaluationReason reason, EvaluationErrorCode errorCode, long revision) =>
        new(flag, -1, reason, errorCode, null, revision);
}
