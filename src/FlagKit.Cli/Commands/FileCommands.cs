using System.CommandLine;
using FlagKit.Cli.Output;
using FlagKit.Compilation;
using FlagKit.Protocol.V1;
using Google.Protobuf;

namespace FlagKit.Cli.Commands;

/// <summary>Config as code: <c>diff</c>, <c>apply</c> and <c>export</c>.</summary>
internal static class FileCommands
{
    public static Command Diff()
    {
        var file = new Argument<FileInfo>("file") { Description = "A flags file (JSON: schema, flags, segments)" };
        var prune = new Option<bool>("--prune") { Description = "Also show documents the file lacks, which apply --prune would archive" };
        var command = new Command("diff", "Show exactly what applying a flags file would change (validates it locally first; commits nothing)") { file, prune };
        CommandAction.Set(command, async context =>
        {
            var bytes = ReadAndValidate(context.Value(file));
            var plan = await DryRunAsync(context, bytes, context.Value(prune));
            if (context.Json)
            {
                context.WriteJson(WriteReport.ToJson(plan, null), CliJsonContext.Default.WriteJson);
                return ExitCodes.Ok;
            }

            WriteReport.WriteChanges(plan, context.Out);
            var changed = plan.Changes.Count(c => c.Action != "unchanged");
            if (changed == 0)
            {
                context.Out.WriteLine($"no change: '{plan.Environment}' already matches {context.Value(file).Name} (revision {plan.Revision}).");
            }
            else
            {
                context.Out.WriteLine($"{WriteReport.Documents(changed)} would change in '{plan.Environment}' at revision {plan.Revision}.");
                context.Out.WriteLine($"to apply exactly this: flagkit apply {context.Value(file).Name}{(context.Value(prune) ? " --prune" : "")} --expected-revision {plan.Revision}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Apply()
    {
        var file = new Argument<FileInfo>("file") { Description = "A flags file (JSON: schema, flags, segments)" };
        var prune = new Option<bool>("--prune") { Description = "Archive documents the file does not contain (asks first)" };
        var command = new Command(
            "apply",
            "Make the environment match a flags file. Validates locally, computes the diff, then commits it only if nobody changed the environment since (exit 4 otherwise)")
        {
            file,
            prune,
        };
        WriteOptionsSet.AddTo(command, destructive: true);
        CommandAction.Set(command, async context =>
        {
            var info = context.Value(file);
            var bytes = ReadAndValidate(info);
            var pruning = context.Value(prune);
            var plan = await DryRunAsync(context, bytes, pruning);
            var expected = context.Parse.GetValue(WriteOptionsSet.ExpectedRevision) ?? plan.Revision;
            if (plan.Changes.All(c => c.Action == "unchanged"))
            {
                if (expected != plan.Revision)
                {
                    throw new CommandFailedException(
                        ExitCodes.Conflict,
                        $"'{plan.Environment}' is at revision {plan.Revision}, not the expected {expected}; review with 'flagkit diff {info.Name}' and try again.");
                }

                if (context.Json)
                {
                    context.WriteJson(WriteReport.ToJson(plan, null) with { DryRun = false }, CliJsonContext.Default.WriteJson);
                }
                else
                {
                    context.Out.WriteLine($"no change: '{plan.Environment}' already matches {info.Name} (revision {plan.Revision}).");
                }

                return ExitCodes.Ok;
            }

            var archived = plan.Changes.Where(c => c.Action == "archived").Select(c => c.Key).ToList();
            if (archived.Count > 0)
            {
                if (!context.Json && !context.Parse.GetValue(WriteOptionsSet.Yes))
                {
                    WriteReport.WriteChanges(plan, context.Out);
                }

                context.Confirm($"archive {FlagCommands.Count(archived.Count, "document")} in '{plan.Environment}' that {info.Name} does not contain ({string.Join(", ", archived)})");
            }

            // The expected revision is the one the diff was computed at: if anyone committed since, the server refuses
            // (FAILED_PRECONDITION, exit 4) instead of overwriting their change with a plan that did not see it.
            var request = new ApplyFileRequest
            {
                Environment = context.Environment,
                FileJson = ByteString.CopyFrom(bytes),
                Prune = pruning,
                Options = context.WriteOptions(expected),
            };
            if (await ScheduleCommands.DivertAsync(context, new ScheduleChangeRequest { ApplyFile = request }) is { } scheduled)
            {
                return scheduled;
            }

            var response = await context.CallAsync((admin, call) => admin.ApplyFileAsync(request, call));
            return await WriteReport.ReportAsync(context, response);
        });
        return command;
    }

    public static Command Export()
    {
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of stdout", HelpName = "file" };
        var command = new Command("export", "Print the environment as a flags file (the input of diff/apply)") { output };
        CommandAction.Set(command, async context =>
        {
            var request = new ExportFileRequest { Environment = context.Environment };
            var response = await context.CallAsync((admin, call) => Connection.AdminConnection.ExportAsync(admin, request, call));
            var target = context.Value(output);
            if (target is not null)
            {
                await File.WriteAllBytesAsync(target.FullName, response.FileJson.ToByteArray(), context.Cancellation);
            }

            if (context.Json)
            {
                using var document = System.Text.Json.JsonDocument.Parse(response.FileJson.Memory);
                context.WriteJson(new ExportJson(context.Environment, response.Revision, document.RootElement.Clone()), CliJsonContext.Default.ExportJson);
            }
            else if (target is not null)
            {
                context.Out.WriteLine($"exported '{context.Environment}' at revision {response.Revision} to {target.FullName}.");
            }
            else
            {
                context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(response.FileJson.Span).TrimEnd());
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Reads a flags file and validates it with the SDK's own parser and compiler, so that a bad file fails here,
    /// before any network call, with the compiler's message (document, JSON path, problem).
    /// </summary>
    internal static byte[] ReadAndValidate(FileInfo file)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (FileNotFoundException)
        {
            throw new CommandFailedException(ExitCodes.Usage, $"flags file '{file.FullName}' does not exist.");
        }
        catch (DirectoryNotFoundException)
        {
            throw new CommandFailedException(ExitCodes.Usage, $"flags file '{file.FullName}' does not exist.");
        }

        // Editors on Windows like to start UTF-8 files with a byte order mark; JSON has no place for one.
        if (bytes.AsSpan().StartsWith(Utf8Bom))
        {
            bytes = bytes[Utf8Bom.Length..];
        }

        try
        {
            var parsed = FlagJson.ParseFile(bytes, file.Name);
            SnapshotBuilder.Build(parsed, 0);
        }
        catch (FlagValidationException ex)
        {
            var problems = ex.Errors.Select(e => new ProblemJson(e.Document, e.Path, e.Message)).ToList();
            var first = problems.Count > 0 ? $": {problems[0].Document} at {problems[0].Path}: {problems[0].Message}" : $": {ex.Message}";
            var more = problems.Count > 1 ? $" (and {problems.Count - 1} more, below)" : "";
            throw new ValidationFailedException(
                $"{file.Name} is invalid{first}{more}; nothing was sent to the server.",
                problems);
        }

        return bytes;
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static Task<WriteResponse> DryRunAsync(CommandContext context, byte[] bytes, bool prune)
    {
        var request = new ApplyFileRequest
        {
            Environment = context.Environment,
            FileJson = ByteString.CopyFrom(bytes),
            DryRun = true,
            Prune = prune,
        };
        return context.CallAsync((admin, call) => admin.ApplyFileAsync(request, call));
    }
}
