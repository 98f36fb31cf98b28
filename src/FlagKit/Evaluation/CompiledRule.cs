using System.Collections.Concurrent;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

/// <summary>A rule compiled: conditions (AND) and what it serves.</summary>
/// <remarks>
/// A value held in the flag's rule array, so that the evaluator reads a rule in place; a rule of one condition (the
/// usual case) keeps it in <see cref="Single"/> as well, sparing the read of the condition array.
/// </remarks>
internal readonly struct CompiledRule
{
    public CompiledRule(string id, IReadOnlyList<Condition> conditions, CompiledServe serve)
    {
        Id = id;

        // A rule of one condition keeps it alone, without the array (one object fewer per rule in a large snapshot).
        Single = conditions.Count == 1 ? conditions[0] : null;
        Conditions = Single is null ? [.. conditions] : [];
        Serve = serve;
    }

    /// <summary>The rule's id, or its index when the document gives none.</summary>
    public string Id { get; }

    /// <summary>The conditions, when there are none or several (then <see cref="Single"/> is null); else empty.</summary>
    public Condition[] Conditions { get; }

    /// <summary>The only condition, when there is exactly one; else <see langword="null"/>.</summary>
    public Condition? Single { get; }

    /// <summary>What the rule serves; a field, read in place (see <see cref="CompiledFlag.DefaultServe"/>).</summary>
    public readonly CompiledServe Serve;

    /// <summary>Whether every condition matches (a rule without conditions matches everyone).</summary>
    public bool Matches(EvaluationContext context) =>
        Single is { } single ? single.Matches(context) : Evaluator.AllMatch(Conditions, context);
}
