namespace FlagKit;

/// <summary>
/// The result of one evaluation with everything that explains it: the value, the variant, the reason, the rule,
/// the flag's version and the snapshot's revision.
/// </summary>
/// <typeparam name="T">The value type: <see cref="bool"/>, <see cref="string"/>, <see cref="double"/> or <see cref="System.Text.Json.JsonElement"/>.</typeparam>
/// <remarks>A readonly struct: returning it allocates nothing. Every string in it is shared, precomputed when the snapshot was built.</remarks>
public readonly struct EvaluationDetails<T>
{
    /// <summary>Creates the details of one evaluation.</summary>
    /// <param name="value">The value served.</param>
    /// <param name="variant">The variant served, or <see langword="null"/> when the caller's default was served.</param>
    /// <param name="reason">Why.</param>
    /// <param name="errorCode">What went wrong, when <paramref name="reason"/> is an error.</param>
    /// <param name="ruleId">The matching rule's id, when <paramref name="reason"/> is <see cref="EvaluationReason.RuleMatch"/>.</param>
    /// <param name="flagVersion">The flag's version (0 when the flag was not found).</param>
    /// <param name="revision">The revision of the snapshot evaluated.</param>
    public EvaluationDetails(T value, string? variant, EvaluationReason reason, EvaluationErrorCode errorCode, string? ruleId, long flagVersion, long revision)
    {
        Value = value;
        Variant = variant;
        Reason = reason;
        ErrorCode = errorCode;
        RuleId = ruleId;
        FlagVersion = flagVersion;
        Revision = revision;
    }

    /// <summary>The value served: the variant's value, or the caller's default.</summary>
    public T Value { get; }

    /// <summary>The variant served, or <see langword="null"/> when the caller's default was served.</summary>
    public string? Variant { get; }

    /// <summary>Why this value was served.</summary>
    public EvaluationReason Reason { get; }

    /// <summary>What went wrong when the caller's default was served (<see cref="EvaluationErrorCode.None"/> otherwise).</summary>
    public EvaluationErrorCode ErrorCode { get; }

    /// <summary>The id of the rule that matched (its index when the rule has no id), else <see langword="null"/>.</summary>
    public string? RuleId { get; }

    /// <summary>The version of the flag evaluated (0 when not found or never served by a server).</summary>
    public long FlagVersion { get; }

    /// <summary>The revision of the snapshot evaluated: every value of one evaluation comes from this one revision.</summary>
    public long Revision { get; }

    /// <summary>Formats the details for logs.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() =>
        $"{Value} (variant {Variant ?? "<default>"}, {Reason}{(ErrorCode == EvaluationErrorCode.None ? "" : $" {ErrorCode}")}{(RuleId is null ? "" : $", rule {RuleId}")}, flag v{FlagVersion}, revision {Revision})";
}
