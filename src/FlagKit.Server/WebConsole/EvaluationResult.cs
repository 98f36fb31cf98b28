namespace FlagKit.Server.WebConsole;

/// <summary>One evaluation in words, for the evaluation console.</summary>
/// <param name="Variant">The variant served (null: the caller's default).</param>
/// <param name="Value">Its JSON value.</param>
/// <param name="Reason">Why (the SDK's reason, with an error code when there is one).</param>
/// <param name="RuleId">The rule that matched, if any.</param>
/// <param name="RuleConditions">That rule's conditions in words (segments among them).</param>
internal sealed record EvaluationResult(string? Variant, string? Value, string Reason, string? RuleId, string? RuleConditions);
