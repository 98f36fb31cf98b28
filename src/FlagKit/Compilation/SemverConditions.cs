using System.Text.Json;
using FlagKit.Evaluation;
using FlagKit.Versioning;

namespace FlagKit.Compilation;

/// <summary>Compiles the semantic-version operators (<c>semverEq</c> ... <c>semverRange</c>), parsing operands once.</summary>
internal static class SemverConditions
{
    public static Condition? Compile(AttributeRef attribute, bool negate, ConditionOperator op, string opName, List<JsonElement> values, in JsonPath path, DocumentErrors errors)
    {
        if (op == ConditionOperator.SemverRange)
        {
            if (!ConditionCompiler.AtLeastOne(values, opName, path, errors) || ConditionCompiler.Texts(values, path, errors) is not { } texts)
            {
                return null;
            }

            var ranges = new VersionRange[texts.Length];
            var ok = true;
            for (var i = 0; i < texts.Length; i++)
            {
                if (VersionRange.TryParse(texts[i], out var range, out var error))
                {
                    ranges[i] = range;
                }
                else
                {
                    errors.Add(path.Item(i), error);
                    ok = false;
                }
            }

            return ok ? new SemverRangeCondition(attribute, negate, ranges) : null;
        }

        if (!ConditionCompiler.Exactly(values, 1, opName, path, errors) || ConditionCompiler.Texts(values, path, errors) is not { } versions)
        {
            return null;
        }

        if (!SemanticVersion.TryParse(versions[0], out var version, out var problem))
        {
            errors.Add(path.Item(0), problem);
            return null;
        }

        return new SemverCondition(attribute, negate, op, version);
    }
}
