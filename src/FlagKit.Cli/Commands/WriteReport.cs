using System.Globalization;
using System.Text.Json;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary>
/// What every write prints: each changed document with its changes (before → after), then the environment's
/// revision before → after; with <c>--wait</c>, how far the new revision has propagated.
/// </summary>
internal static class WriteReport
{
    /// <summary>Reports a write's answer, waits if asked, and returns the exit code.</summary>
    /// <param name="context">The command.</param>
    /// <param name="response">The server's answer.</param>
    /// <param name="killState">After a kill or unkill: each flag it reached and what still holds it down.</param>
    /// <returns><see cref="ExitCodes.Ok"/>, or <see cref="ExitCodes.WaitTimedOut"/>.</returns>
    public static async Task<int> ReportAsync(CommandContext context, WriteResponse response, List<FlagKillStateJson>? killState = null)
    {
        WaitJson? wait = null;
        if (context.Parse.GetValue(WriteOptionsSet.Wait) && !response.DryRun)
        {
            wait = await PropagationWaiter.WaitAsync(
                context, response.Revision, context.Parse.GetValue(WriteOptionsSet.Timeout) ?? WriteOptionsSet.DefaultTimeout).ConfigureAwait(false);
        }

        if (context.Json)
        {
            context.WriteJson(ToJson(response, wait) with { KillState = killState }, CliJsonContext.Default.WriteJson);
        }
        else
        {
            WriteChanges(response, context.Out);
            WriteKillState(killState, context.Out);
            WriteRevision(response, context.Out);
            if (wait is not null)
            {
                PropagationWaiter.Describe(wait, context.Out);
            }
        }

        return wait is { Complete: false } ? ExitCodes.WaitTimedOut : ExitCodes.Ok;
    }

    public static WriteJson ToJson(WriteResponse response, WaitJson? wait) => new(
        response.Environment,
        response.PreviousRevision,
        response.Revision,
        response.DryRun,
        response.Replayed,
        response.Changes.Select(c => new ChangeJson(
            KindName(c.Kind),
            c.Key,
            c.Action,
            c.Summary,
            DocumentDiff.Compare(c.BeforeJson.Memory, c.AfterJson.Memory)
                .Select(f => new FieldChangeJson(f.Path, f.Before, f.After)).ToList(),
            Parse(c.BeforeJson),
            Parse(c.AfterJson))).ToList(),
        wait);

    /// <summary>One block per change: <c>~ flag checkout-v2 updated: on: false -> true</c> then its field changes.</summary>
    public static void WriteChanges(WriteResponse response, TextWriter writer)
    {
        // Unchanged documents (a whole file applied, say) are left out: what matters is what moves.
        foreach (var change in response.Changes.Where(c => c.Action != "unchanged"))
        {
            var mark = change.Action switch
            {
                "created" => "+",
                "archived" => "-",
                _ => "~",
            };
            var summary = change.Summary;
            if (summary.StartsWith(change.Action + " ", StringComparison.Ordinal))
            {
                // "created bool flag: ..." after "created": say it once.
                summary = summary[(change.Action.Length + 1)..];
            }

            writer.WriteLine($"{mark} {KindName(change.Kind)} {change.Key} {change.Action}{(summary.Length > 0 ? ": " + summary : "")}");
            if (change.Action != "updated")
            {
                continue;
            }

            var fields = DocumentDiff.Compare(change.BeforeJson.Memory, change.AfterJson.Memory)
                .Select(f => $"{(f.Path.StartsWith("$.", StringComparison.Ordinal) ? f.Path[2..] : f.Path)}: {DocumentDiff.Render(f.Before)} {Format.Arrow} {DocumentDiff.Render(f.After)}")
                .ToList();
            if (fields.Count == 1 && fields[0] == summary)
            {
                continue;
            }

            foreach (var field in fields)
            {
                writer.WriteLine("    " + field);
            }
        }

        // A big write's answer carries summaries only (and counts what does not fit); the history has the documents.
        if (response.ChangesOmitted > 0)
        {
            writer.WriteLine($"… and {response.ChangesOmitted} more changes (too many for one answer; see 'flagkit history').");
        }
        else if (response.DocumentsOmitted)
        {
            writer.WriteLine("(field-by-field changes left out: the answer would be too large; see 'flagkit history')");
        }
    }

    // "still killed: bonus-wheel by flag (INC-A, ops@example.com, 2026-12-01 03:00:00Z)" / "live: cashout".
    private static void WriteKillState(List<FlagKillStateJson>? killState, TextWriter writer)
    {
        if (killState is null)
        {
            return;
        }

        foreach (var flag in killState)
        {
            writer.WriteLine(flag.Killed
                ? $"still killed: {flag.Key} by {string.Join("; ", flag.Kills.Select(FlagCommands.KillLine))}"
                : $"not killed: {flag.Key}");
        }
    }

    private static void WriteRevision(WriteResponse response, TextWriter writer)
    {
        var env = response.Environment;
        var changed = response.Changes.Count(c => c.Action != "unchanged");
        if (response.DryRun)
        {
            writer.WriteLine(changed == 0
                ? $"dry run: no change; '{env}' already matches (revision {response.Revision})."
                : $"dry run: {Documents(changed)} would change in '{env}' at revision {response.Revision}; nothing was committed.");
        }
        else if (response.Revision == response.PreviousRevision)
        {
            writer.WriteLine($"no change; '{env}' stays at revision {response.Revision}.");
        }
        else
        {
            var replayed = response.Replayed ? " (replayed: this write was already applied)" : "";
            writer.WriteLine($"{env}: revision {response.PreviousRevision} {Format.Arrow} {response.Revision}{replayed}");
        }
    }

    public static string Documents(int count) =>
        count.ToString(CultureInfo.InvariantCulture) + (count == 1 ? " document" : " documents");

    public static string KindName(DocumentKind kind) => kind switch
    {
        DocumentKind.Flag => "flag",
        DocumentKind.Segment => "segment",
        _ => "document",
    };

    private static JsonElement? Parse(Google.Protobuf.ByteString json)
    {
        if (json.IsEmpty)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json.Memory);
        return document.RootElement.Clone();
    }
}
