using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FlagKit.Cli.Output;
using FlagKit.Compilation;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary><c>list</c>, <c>get</c>, <c>enable</c>, <c>disable</c>, <c>kill</c>, <c>unkill</c>, <c>archive</c>.</summary>
internal static class FlagCommands
{
    public static Command List()
    {
        var tag = new Option<string?>("--tag") { Description = "Only flags carrying this tag", HelpName = "tag" };
        var state = new Option<string?>("--state") { Description = "Only flags in this state", HelpName = "on|off|killed" };
        state.AcceptOnlyFromAmong("on", "off", "killed");
        var command = new Command("list", "List the flags of the environment: state, what they serve, tags, version") { tag, state };
        CommandAction.Set(command, async context =>
        {
            var request = new ListFlagsRequest
            {
                Environment = context.Environment,
                Tag = context.Value(tag) ?? "",
                State = context.Value(state) switch
                {
                    "on" => FlagStateFilter.On,
                    "off" => FlagStateFilter.Off,
                    "killed" => FlagStateFilter.Killed,
                    _ => FlagStateFilter.Any,
                },
            };
            var response = await context.CallAsync((admin, call) => Connection.AdminConnection.ListAllFlagsAsync(r => admin.ListFlagsAsync(r, call).ResponseAsync, request));
            var flags = response.Flags.OrderBy(f => f.Key, StringComparer.Ordinal).Select(Summary).ToList();
            if (context.Json)
            {
                context.WriteJson(new FlagListJson(context.Environment, response.EnvironmentRevision, flags), CliJsonContext.Default.FlagListJson);
                return ExitCodes.Ok;
            }

            var table = new Table("flag", "state", "serves", "tags", "version>", "updated", "killed by");
            foreach (var f in flags)
            {
                table.Add(f.Key, f.State, f.Serves, string.Join(",", f.Tags), Number(f.Version), Format.Time(f.UpdatedAt), KilledBy(f.Kills));
            }

            context.Out.WriteLine($"{context.Environment} at revision {response.EnvironmentRevision}: {Count(flags.Count, "flag")}{Filter(request)}");
            if (table.Count > 0)
            {
                table.WriteTo(context.Out);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Get()
    {
        var key = new Argument<string>("flag") { Description = "The flag key" };
        var command = new Command("get", "Show one flag: state, what it serves, targets, rules, and its document") { key };
        CommandAction.Set(command, async context =>
        {
            var request = new GetDocumentRequest { Environment = context.Environment, Key = context.Value(key) };
            var record = await context.CallAsync((admin, call) => admin.GetFlagAsync(request, call));
            var flag = FlagView.TryRead(record.Json.Span);
            if (context.Json)
            {
                using var document = JsonDocument.Parse(record.Json.Memory);
                context.WriteJson(
                    new FlagDetailJson(
                        context.Environment, record.EnvironmentRevision, record.Key, FlagView.State(flag), record.Version,
                        record.Revision, Format.Instant(record.UpdatedAt), record.UpdatedBy, document.RootElement.Clone(), FlagView.Kills(flag)),
                    CliJsonContext.Default.FlagDetailJson);
                return ExitCodes.Ok;
            }

            var o = context.Out;
            o.WriteLine($"flag {record.Key} in {context.Environment} (environment revision {record.EnvironmentRevision})");
            var rows = new Table("", "");
            rows.Add("state", FlagView.State(flag));
            foreach (var kill in FlagView.Kills(flag))
            {
                // Why it is killed: one row per source that holds it down.
                rows.Add("killed by", KillLine(kill));
            }

            rows.Add("serves", FlagView.Serves(flag));
            rows.Add("version", $"{record.Version} (revision {record.Revision}, {Format.Time(Format.Instant(record.UpdatedAt))} by {Or(record.UpdatedBy)})");
            if (flag is not null)
            {
                rows.Add("kind", flag.Kind.ToString().ToLowerInvariant());
                rows.Add("variants", string.Join(", ", flag.Variants.Select(v => $"{v.Key}={v.Value.GetRawText()}")));
                rows.Add("off variant", flag.OffVariant);
                rows.Add("tags", flag.Tags.Count == 0 ? "-" : string.Join(", ", flag.Tags));
                foreach (var (variant, ids) in flag.Targets.Where(t => t.Value.Count > 0))
                {
                    rows.Add($"targets {variant}", string.Join(", ", ids));
                }

                for (var i = 0; i < flag.Rules.Count; i++)
                {
                    var rule = flag.Rules[i];
                    rows.Add($"rule {i + 1}{(rule.Id is null ? "" : " " + rule.Id)}", $"{FlagView.Conditions(rule)} {Format.Arrow} {FlagView.Serve(rule.Variant, rule.Split)}");
                }

                rows.Add("default", FlagView.Serve(flag.DefaultRule.Variant, flag.DefaultRule.Split));
                if (flag.Description is { Length: > 0 } description)
                {
                    rows.Add("description", description);
                }
            }

            WriteRows(rows, o);
            o.WriteLine("document:");
            using var parsed = JsonDocument.Parse(record.Json.Memory);
            o.WriteLine(JsonSerializer.Serialize(parsed.RootElement, CliJsonContext.Default.JsonElement));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// <c>enable</c> / <c>disable</c> / <c>kill</c> / <c>unkill</c>: one flag, or every flag with <c>--tag</c>. A kill adds
    /// a source (the flag, the tag, or <c>--incident</c>); an unkill lifts only the source it names (or, with <c>--all</c>,
    /// every one) and says what still holds each flag down.
    /// </summary>
    public static Command State(string name, FlagStateChange change, string description)
    {
        var key = new Argument<string?>("flag") { Description = "The flag key (or use --tag)", Arity = ArgumentArity.ZeroOrOne };
        var tag = new Option<string?>("--tag") { Description = "Every flag carrying this tag (one revision for all)", HelpName = "tag" };
        var command = new Command(name, description) { key, tag };
        var kills = change is FlagStateChange.Kill or FlagStateChange.Unkill;
        var incident = new Option<string?>("--incident")
        {
            Description = change == FlagStateChange.Kill
                ? "Record the kill as made for this incident (lifted by 'unkill --incident ID', not by a plain unkill)"
                : "Lift the kill made for this incident (with no flag or --tag: on every flag it holds down)",
            HelpName = "id",
        };
        var all = new Option<bool>("--all") { Description = "Lift every kill of the flag, whoever made it (asks first)" };
        if (kills)
        {
            command.Options.Add(incident);
        }

        if (change == FlagStateChange.Unkill)
        {
            command.Options.Add(all);
        }

        WriteOptionsSet.AddTo(command, destructive: kills);
        if (change == FlagStateChange.Kill)
        {
            ScheduleOptions.AddBreakGlass(command);
        }

        CommandAction.Set(command, async context =>
        {
            var flag = context.Value(key);
            var tagValue = context.Value(tag);
            var incidentValue = kills ? context.Value(incident) : null;
            var allSources = change == FlagStateChange.Unkill && context.Value(all);
            var keyless = change == FlagStateChange.Unkill && incidentValue is not null;
            if ((flag is not null && tagValue is not null) || (flag is null && tagValue is null && !keyless))
            {
                throw new CommandFailedException(ExitCodes.Usage, $"{name} takes a flag key or --tag, exactly one of them; see 'flagkit {name} --help'.");
            }

            if (allSources && (flag is null || incidentValue is not null))
            {
                throw new CommandFailedException(ExitCodes.Usage, "unkill --all lifts every kill of one flag: give the flag key, and no --tag or --incident.");
            }

            await ConfirmStateAsync(context, name, change, flag, tagValue, allSources);
            var write = new SetFlagStateRequest
            {
                Environment = context.Environment,
                Change = change,
                Key = flag ?? "",
                Tag = tagValue ?? "",
                Incident = incidentValue ?? "",
                AllSources = allSources,
                Options = context.WriteOptions(flag: flag),
            };
            if (await ScheduleCommands.DivertAsync(context, new ScheduleChangeRequest { SetFlagState = write }) is { } scheduled)
            {
                return scheduled;
            }

            var response = await context.CallAsync((admin, call) => admin.SetFlagStateAsync(write, call));
            var killState = kills ? await KillStateAsync(context, response) : null;
            return await WriteReport.ReportAsync(context, response, killState);
        });
        return command;
    }

    // kill --tag, unkill --tag and unkill --all ask first, naming what they are about to reach.
    private static async Task ConfirmStateAsync(CommandContext context, string name, FlagStateChange change, string? flag, string? tag, bool allSources)
    {
        if (allSources)
        {
            var request = new GetDocumentRequest { Environment = context.Environment, Key = flag! };
            var record = await context.CallAsync((admin, call) => admin.GetFlagAsync(request, call));
            var current = FlagView.Kills(FlagView.TryRead(record.Json.Span));
            context.Confirm($"lift every kill of flag '{flag}' in '{context.Environment}' ({(current.Count == 0 ? "it is not killed" : string.Join("; ", current.Select(KillLine)))})");
            return;
        }

        if (tag is null || change is not (FlagStateChange.Kill or FlagStateChange.Unkill))
        {
            return;
        }

        // Show what a kill or unkill by tag is about to reach before asking: the flags carrying the tag, and (unkill)
        // flags the tag's kill still holds down although they no longer carry it.
        var list = new ListFlagsRequest { Environment = context.Environment, Tag = change == FlagStateChange.Kill ? tag : "" };
        var flags = await context.CallAsync((admin, call) => Connection.AdminConnection.ListAllFlagsAsync(r => admin.ListFlagsAsync(r, call).ResponseAsync, list));
        var reached = flags.Flags.Select(Summary)
            .Where(f => f.Tags.Contains(tag, StringComparer.Ordinal) || f.Kills.Any(k => k.Source == KillSources.Tag(tag)))
            .Select(f => f.Key).Order(StringComparer.Ordinal).ToList();
        if (reached.Count == 0)
        {
            throw new CommandFailedException(ExitCodes.NotFound, $"no flag in '{context.Environment}' carries tag '{tag}'; nothing to {name}.");
        }

        var what = change == FlagStateChange.Kill ? "kill" : $"lift the kill by tag '{tag}' of";
        context.Confirm($"{what} {Count(reached.Count, "flag")} tagged '{tag}' in '{context.Environment}' ({string.Join(", ", reached)})");
    }

    // After a kill or unkill: every flag it reached, killed or not, and what still holds it down. The answer carries the
    // documents it changed; the others (already killed by that source, say) are read back.
    private static async Task<List<FlagKillStateJson>> KillStateAsync(CommandContext context, WriteResponse response)
    {
        var documents = response.Changes.Where(c => c.Kind == DocumentKind.Flag && !c.AfterJson.IsEmpty)
            .ToDictionary(c => c.Key, c => FlagView.TryRead(c.AfterJson.Span), StringComparer.Ordinal);
        var missing = response.Changes.Where(c => c.Kind == DocumentKind.Flag && !documents.ContainsKey(c.Key)).Select(c => c.Key).ToList();
        if (missing.Count > 0)
        {
            try
            {
                var list = await context.CallAsync((admin, call) => Connection.AdminConnection.ListAllFlagsAsync(r => admin.ListFlagsAsync(r, call).ResponseAsync, new ListFlagsRequest { Environment = response.Environment }));
                foreach (var record in list.Flags.Where(r => missing.Contains(r.Key, StringComparer.Ordinal)))
                {
                    documents[record.Key] = FlagView.TryRead(record.Json.Span);
                }
            }
            catch (CommandFailedException ex)
            {
                // The write is committed; only the report of the flags it did not change is missing.
                context.Error.WriteLine($"flagkit: the write is committed, but the kill state of {string.Join(", ", missing)} could not be read: {ex.Message}");
            }
        }

        return documents.OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new FlagKillStateJson(d.Key, d.Value is not null && KillSources.IsKilled(d.Value), FlagView.Kills(d.Value)))
            .ToList();
    }

    /// <summary>A kill source with why, who and when: <c>tag:payouts (INC-B, ops@example.com, 2026-12-01 03:00)</c>.</summary>
    internal static string KillLine(KillJson kill) =>
        Describe(kill.Source, kill.Reason, kill.By, kill.At is { } at ? Format.Time(at) : null);

    /// <summary>Every source, without times (a table cell): <c>tag:payouts (INC-B, ops@example.com); flag</c>, or <c>-</c>.</summary>
    internal static string KilledBy(List<KillJson> kills) =>
        kills.Count == 0 ? "-" : string.Join("; ", kills.Select(k => Describe(k.Source, k.Reason, k.By)));

    private static string Describe(string source, params string?[] details)
    {
        var known = details.Where(d => !string.IsNullOrWhiteSpace(d)).ToList();
        return known.Count == 0 ? source : $"{source} ({string.Join(", ", known)})";
    }

    public static Command Archive()
    {
        var key = new Argument<string>("flag") { Description = "The flag key" };
        var segment = new Option<bool>("--segment") { Description = "Archive the segment with this key instead of a flag" };
        var command = new Command("archive", "Remove a flag (or segment) from what SDKs see; history keeps it. Asks first") { key, segment };
        WriteOptionsSet.AddTo(command, destructive: true);
        CommandAction.Set(command, async context =>
        {
            var kind = context.Value(segment) ? DocumentKind.Segment : DocumentKind.Flag;
            var name = context.Value(key);
            context.Confirm($"archive {WriteReport.KindName(kind)} '{name}' in '{context.Environment}' (SDKs will stop seeing it; callers get their defaults)");
            var request = new ArchiveDocumentRequest { Environment = context.Environment, Kind = kind, Key = name, Options = context.WriteOptions(flag: kind == DocumentKind.Flag ? name : null) };
            if (await ScheduleCommands.DivertAsync(context, new ScheduleChangeRequest { ArchiveDocument = request }) is { } scheduled)
            {
                return scheduled;
            }

            var response = await context.CallAsync((admin, call) => admin.ArchiveDocumentAsync(request, call));
            return await WriteReport.ReportAsync(context, response);
        });
        return command;
    }

    public static Command Rollout()
    {
        var key = new Argument<string>("flag") { Description = "The flag key" };
        var percent = new Argument<string?>("percent")
        {
            Description = "Percentage that gets the flag's 'on' variant (or --variant), e.g. 25 or 12.5%",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var variant = new Option<string?>("--variant") { Description = "The variant the percentage applies to (two-variant flags)", HelpName = "variant" };
        var weights = new Option<string?>("--weights") { Description = "Explicit weights summing to 100, e.g. on=25,off=75", HelpName = "v=pct,..." };
        var rule = new Option<string?>("--rule") { Description = "Change the split of this rule instead of the default rule", HelpName = "id" };
        var command = new Command("rollout", "Set a percentage rollout (sticky: raising it keeps everyone already in)") { key, percent, variant, weights, rule };
        WriteOptionsSet.AddTo(command);
        CommandAction.Set(command, async context =>
        {
            var request = new SetRolloutRequest
            {
                Environment = context.Environment,
                Key = context.Value(key),
                RuleId = context.Value(rule) ?? "",
                Variant = context.Value(variant) ?? "",
                Options = context.WriteOptions(flag: context.Value(key)),
            };
            var percentText = context.Value(percent);
            var weightsText = context.Value(weights);
            if ((percentText is null) == (weightsText is null))
            {
                throw new CommandFailedException(ExitCodes.Usage, "rollout takes a percentage or --weights, exactly one of them; e.g. 'flagkit rollout checkout-v2 25'.");
            }

            if (percentText is not null)
            {
                request.Percent = ParsePercent(percentText, "percentage");
            }
            else
            {
                foreach (var part in weightsText!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var eq = part.IndexOf('=');
                    if (eq <= 0)
                    {
                        throw new CommandFailedException(ExitCodes.Usage, $"--weights entry '{part}' is not variant=percent; e.g. --weights on=25,off=75.");
                    }

                    request.Weights.Add(new VariantWeight { Variant = part[..eq].Trim(), Weight = ParsePercent(part[(eq + 1)..], $"weight of '{part[..eq].Trim()}'") });
                }

                var sum = request.Weights.Sum(w => w.Weight);
                if (Math.Abs(sum - 100) > 0.0001)
                {
                    throw new CommandFailedException(ExitCodes.Usage, $"--weights sum to {sum.ToString(CultureInfo.InvariantCulture)}, not 100.");
                }
            }

            if (await ScheduleCommands.DivertAsync(context, new ScheduleChangeRequest { SetRollout = request }) is { } scheduled)
            {
                return scheduled;
            }

            var response = await context.CallAsync((admin, call) => admin.SetRolloutAsync(request, call));
            return await WriteReport.ReportAsync(context, response);
        });
        return command;
    }

    public static Command Target()
    {
        var key = new Argument<string>("flag") { Description = "The flag key" };
        var variant = new Argument<string>("variant") { Description = "The variant these accounts always get" };
        var add = new Option<string[]>("--add") { Description = "Account ids to add (comma- or space-separated)", AllowMultipleArgumentsPerToken = true, HelpName = "ids" };
        var remove = new Option<string[]>("--remove") { Description = "Account ids to remove", AllowMultipleArgumentsPerToken = true, HelpName = "ids" };
        var command = new Command("target", "Add or remove account ids that always get a variant (they win over rules)") { key, variant, add, remove };
        WriteOptionsSet.AddTo(command);
        CommandAction.Set(command, async context =>
        {
            var request = new SetTargetsRequest
            {
                Environment = context.Environment,
                Key = context.Value(key),
                Variant = context.Value(variant),
                Options = context.WriteOptions(flag: context.Value(key)),
            };
            request.Add.AddRange(Ids(context.Value(add)));
            request.Remove.AddRange(Ids(context.Value(remove)));
            if (request.Add.Count + request.Remove.Count == 0)
            {
                throw new CommandFailedException(ExitCodes.Usage, "target needs --add and/or --remove with account ids; e.g. 'flagkit target checkout-v2 on --add acct-1,acct-2'.");
            }

            if (await ScheduleCommands.DivertAsync(context, new ScheduleChangeRequest { SetTargets = request }) is { } scheduled)
            {
                return scheduled;
            }

            var response = await context.CallAsync((admin, call) => admin.SetTargetsAsync(request, call));
            return await WriteReport.ReportAsync(context, response);
        });
        return command;
    }

    internal static FlagSummaryJson Summary(DocumentRecord record)
    {
        var flag = FlagView.TryRead(record.Json.Span);
        return new FlagSummaryJson(
            record.Key,
            flag?.Kind.ToString().ToLowerInvariant() ?? "?",
            FlagView.State(flag),
            flag?.On ?? false,
            flag?.Killed ?? false,
            flag?.Tags ?? [],
            FlagView.Serves(flag),
            record.Version,
            record.Revision,
            Format.Instant(record.UpdatedAt),
            record.UpdatedBy,
            FlagView.Kills(flag));
    }

    internal static string Count(int count, string noun) => $"{count.ToString(CultureInfo.InvariantCulture)} {noun}{(count == 1 ? "" : "s")}";

    internal static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Or(string value) => value.Length == 0 ? "-" : value;

    internal static void WriteRows(Table rows, TextWriter writer)
    {
        using var buffer = new StringWriter();
        rows.WriteTo(buffer);
        // Drop the (empty) header line: a two-column key/value block reads better without one.
        foreach (var line in buffer.ToString().Split('\n').Skip(1).Where(l => l.Length > 0))
        {
            writer.WriteLine("  " + line.TrimEnd('\r'));
        }
    }

    private static string Filter(ListFlagsRequest request)
    {
        var parts = new List<string>();
        if (request.Tag.Length > 0)
        {
            parts.Add($"tagged '{request.Tag}'");
        }

        if (request.State != FlagStateFilter.Any)
        {
            parts.Add(request.State.ToString().ToLowerInvariant());
        }

        return parts.Count == 0 ? "" : " (" + string.Join(", ", parts) + ")";
    }

    private static double ParsePercent(string text, string what)
    {
        var trimmed = text.Trim().TrimEnd('%');
        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value is < 0 or > 100 || !double.IsFinite(value))
        {
            throw new CommandFailedException(ExitCodes.Usage, $"{what} '{text}' is not a percentage from 0 to 100.");
        }

        if (Math.Abs(Math.Round(value, 2) - value) > 1e-9)
        {
            throw new CommandFailedException(ExitCodes.Usage, $"{what} '{text}' is finer than 0.01 %; splits move in steps of 0.01 %.");
        }

        return value;
    }

    private static IEnumerable<string> Ids(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal);
}
