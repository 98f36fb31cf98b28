using System.Text.Json;
using FlagKit.Evaluation;

namespace FlagKit.Compilation;

/// <summary>Compiles the semantic-version operators (<c>semverEq</c> ... <c>semverRange</c>).</summary>
internal static class SemverConditions
{
    public static Condition? Compile(AttributeRef attribute, bool negate, ConditionOperator op, string opName, List<JsonElement> values, string path, DocumentErrors errors)
    {
        _ = attribute;
        _ = negate;
        _ = op;
        _ = values;
        errors.Add(path, $"operator '{opName}' needs FlagKit.Versioning, which this build does not have yet");
        return null;
    }
}
