using System.Globalization;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Writes;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// What-if answers computed with the SDK's own compiler and evaluator (never a copy of their logic): the share of
/// sample accounts a rollout would serve, and how one context evaluates.
/// </summary>
internal static class ConsoleSimulation
{
    /// <summary>How many sample accounts a rollout preview buckets.</summary>
    public const int SampleAccounts = 10_000;

    /// <summary>Largest context JSON the evaluation console takes (checked before parsing).</summary>
    public const int MaxContextChars = 8 * 1024;

    /// <summary>
    /// Applies a rollout to a copy of the flag with the admin API's own edit (<see cref="FlagEdits.SetRollout"/>),
    /// compiles the environment with it, and buckets <see cref="SampleAccounts"/> accounts (<c>acct-0</c>…) through
    /// the SDK's evaluator.
    /// </summary>
    /// <param name="state">The environment now.</param>
    /// <param name="key">The flag.</param>
    /// <param name="percent">The rollout, 0..100.</param>
    /// <returns>How many sample accounts would get something other than the off variant.</returns>
    /// <exception cref="Exception">The edit or the compiler refuses (their messages).</exception>
    public static int RolloutPreview(EnvironmentState state, string key, double percent)
    {
        var edits = FlagEdits.SetRollout(state, new SetRolloutRequest { Environment = state.Name, Key = key, Percent = percent });
        var edited = edits.Single().Flag!;
        FlagSnapshot snapshot;
        if (state.Snapshot is { } previous)
        {
            // Only the edited flag is compiled, against the environment's last snapshot (as a state change is).
            snapshot = DocumentCodec.CompileChangedFlags(previous, [edited], state.Revision);
        }
        else
        {
            var file = state.ToFile();
            file.Flags = file.Flags.Select(f => f.Key == key ? edited : f).ToList();
            snapshot = DocumentCodec.Compile(file, state.Revision);
        }

        if (!snapshot.TryGetFlag(key, out var compiled))
        {
            return 0;
        }

        var bucketBy = edited.DefaultRule.Split?.BucketBy;
        var served = 0;
        for (var i = 0; i < SampleAccounts; i++)
        {
            var account = "acct-" + i.ToString(CultureInfo.InvariantCulture);
            var context = EvaluationContext.ForAccount(account);
            if (!string.IsNullOrEmpty(bucketBy))
            {
                context = context.WithAttribute(bucketBy, account);
            }

            if (snapshot.Evaluate(compiled, context).Variant is { } variant && variant.Name != edited.OffVariant)
            {
                served++;
            }
        }

        return served;
    }

    /// <summary>"≈ 25 %: 2 512 of 10 000 sample accounts".</summary>
    /// <param name="served">Accounts served.</param>
    /// <returns>The text.</returns>
    public static string PreviewText(int served) =>
        $"≈ {FlagText.Percent(Math.Round(served * 100.0 / SampleAccounts, 1))}: {Thousands(served)} of {Thousands(SampleAccounts)} sample accounts";

    /// <summary>
    /// Evaluates one flag for one context with the environment's current content, as an SDK would: on the snapshot the
    /// server compiled for SDKs at this revision (compiled here only when the state has none).
    /// </summary>
    /// <param name="state">The environment.</param>
    /// <param name="key">The flag.</param>
    /// <param name="contextJson">A JSON object: attribute → string, number or boolean (<c>accountId</c> among them).</param>
    /// <returns>The result, in words.</returns>
    /// <exception cref="ArgumentException">The context is not such an object (the message names the attribute).</exception>
    public static EvaluationResult Evaluate(EnvironmentState state, string key, string contextJson)
    {
        var context = ParseContext(contextJson);
        var snapshot = state.Snapshot ?? DocumentCodec.Compile(state.ToFile(), state.Revision);
        if (!snapshot.TryGetFlag(key, out var compiled))
        {
            return new EvaluationResult(null, null, EvaluationReason.FlagNotFound.ToString(), null, null);
        }

        var evaluation = snapshot.Evaluate(compiled, context);
        var rule = evaluation.RuleId is null ? null : state.Find(DocumentKind.Flag, key)?.Flag?.Rules.FirstOrDefault(r => r.Id == evaluation.RuleId);
        return new EvaluationResult(
            evaluation.Variant?.Name,
            evaluation.Variant?.Json.GetRawText(),
            evaluation.Reason.ToString() + (evaluation.ErrorCode == EvaluationErrorCode.None ? "" : $" ({evaluation.ErrorCode})"),
            evaluation.RuleId,
            rule is null ? null : FlagText.Conditions(rule.Conditions));
    }

    private static EvaluationContext ParseContext(string json)
    {
        if (json.Length > MaxContextChars)
        {
            throw new ArgumentException($"The context is {json.Length} characters; the limit is {MaxContextChars}.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The context is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException("The context must be a JSON object of attributes, e.g. {\"accountId\": \"acct-1\", \"country\": \"de\"}.");
            }

            var context = new EvaluationContext();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                context = property.Value.ValueKind switch
                {
                    JsonValueKind.String => context.WithAttribute(property.Name, property.Value.GetString()),
                    JsonValueKind.Number => context.WithAttribute(property.Name, property.Value.GetDouble()),
                    JsonValueKind.True or JsonValueKind.False => context.WithAttribute(property.Name, property.Value.GetBoolean() ? "true" : "false"),
                    _ => throw new ArgumentException($"The context attribute '{property.Name}' must be a string, a number or a boolean."),
                };
            }

            return context;
        }
    }

    private static string Thousands(int value) => value.ToString("#,0", CultureInfo.InvariantCulture).Replace(',', ' ');
}
