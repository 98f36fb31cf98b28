using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Releases;

/// <summary>
/// The flag changes a release makes, as plans for <see cref="EnvironmentCatalog.WriteAsync"/>: the default rule's split
/// between the treatment and the control, and the checks a start makes on the flag.
/// </summary>
internal static class ReleaseEdits
{
    /// <summary>
    /// Serves the treatment to <paramref name="percent"/> % and the control to the rest, from the flag's default rule.
    /// When the rule already splits exactly these two variants their order is kept, so raising 5 % → 25 % keeps the
    /// first 5 % of users in the treatment (buckets stay where they are).
    /// </summary>
    /// <returns>The edit.</returns>
    /// <exception cref="WriteRefusedException">NotFound when the flag is not live.</exception>
    public static IReadOnlyList<DocumentEdit> Share(EnvironmentState state, ReleasePlan plan, int percent)
    {
        var flag = DocumentCodec.Clone(LiveFlag(state, plan.Flag));
        var split = flag.DefaultRule.Split;
        var treatment = new WeightedVariant { Variant = plan.Treatment, Weight = percent };
        var control = new WeightedVariant { Variant = plan.Control, Weight = 100 - percent };
        var controlFirst = split is { Variants.Count: 2 } && split.Variants[0].Variant == plan.Control && split.Variants[1].Variant == plan.Treatment;
        flag.DefaultRule.Variant = null;
        flag.DefaultRule.Split = new SplitDocument
        {
            BucketBy = split?.BucketBy,
            Salt = split?.Salt,
            Variants = controlFirst ? [control, treatment] : [treatment, control],
        };
        return [DocumentEdit.Put(flag)];
    }

    /// <summary>Why a release of <paramref name="plan"/> cannot start on the flag as it is now, or null when it can.</summary>
    /// <param name="state">The environment.</param>
    /// <param name="plan">The plan.</param>
    /// <returns>The problem, naming the field, or null.</returns>
    public static string? StartProblem(EnvironmentState state, ReleasePlan plan)
    {
        if (state.Find(DocumentKind.Flag, plan.Flag) is not { IsLive: true } entry)
        {
            return $"flag: '{plan.Flag}' does not exist in environment '{state.Name}'.";
        }

        var flag = entry.Flag!;
        foreach (var (field, variant) in new[] { ("treatment", plan.Treatment), ("control", plan.Control) })
        {
            if (!flag.Variants.ContainsKey(variant))
            {
                return $"{field}: flag '{plan.Flag}' has no variant '{variant}' (it has {string.Join(", ", flag.Variants.Keys.Select(v => $"'{v}'"))}).";
            }
        }

        if (flag.Killed)
        {
            return $"flag: '{plan.Flag}' is killed; unkill it before a release ramps it.";
        }

        return flag.On ? null : $"flag: '{plan.Flag}' is off, so it serves neither variant; turn it on (at 0 % treatment) first.";
    }

    private static FlagDocument LiveFlag(EnvironmentState state, string key) =>
        state.Find(DocumentKind.Flag, key) is { IsLive: true } entry
            ? entry.Flag!
            : throw WriteRefusedException.NotFound($"flag '{key}' does not exist in environment '{state.Name}'.");
}
