namespace FlagKit;

/// <summary>Why an evaluation served what it served. The order of checks is the order of the members.</summary>
public enum EvaluationReason
{
    /// <summary>The snapshot has no flag with that key: the caller's default was served.</summary>
    FlagNotFound,

    /// <summary>The flag's kill switch is set: its off variant was served.</summary>
    Killed,

    /// <summary>The flag is off: its off variant was served.</summary>
    Disabled,

    /// <summary>A prerequisite flag did not serve its required variant: the off variant was served.</summary>
    PrerequisiteFailed,

    /// <summary>The account id is one of the flag's individual targets.</summary>
    TargetMatch,

    /// <summary>A rule matched (see <see cref="EvaluationDetails{T}.RuleId"/>); it served a variant or a split.</summary>
    RuleMatch,

    /// <summary>No target or rule matched: the default rule served a variant.</summary>
    Default,

    /// <summary>No target or rule matched: the default rule's percentage split served a variant.</summary>
    Split,

    /// <summary>The flag's kind does not match the getter used: the caller's default was served.</summary>
    TypeMismatch,

    /// <summary>The flag could not be evaluated (see <see cref="EvaluationDetails{T}.ErrorCode"/>): the caller's default was served.</summary>
    Error,
}
