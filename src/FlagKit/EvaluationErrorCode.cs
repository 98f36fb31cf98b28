namespace FlagKit;

/// <summary>What went wrong when an evaluation served the caller's default.</summary>
public enum EvaluationErrorCode
{
    /// <summary>No error.</summary>
    None,

    /// <summary>No flag with that key in the snapshot.</summary>
    FlagNotFound,

    /// <summary>The flag's kind does not match the getter used.</summary>
    TypeMismatch,

    /// <summary>A percentage split needed a bucketing attribute (the account id by default) the context does not have.</summary>
    TargetingKeyMissing,

    /// <summary>The flag's document could not be compiled by this SDK (e.g. an operator from a newer schema).</summary>
    InvalidFlag,

    /// <summary>Prerequisites nest too deeply (a cycle that slipped past validation).</summary>
    PrerequisiteDepthExceeded,

    /// <summary>An unexpected fault (e.g. a regular expression that timed out).</summary>
    General,
}
