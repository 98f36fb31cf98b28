using System.CommandLine;
using FlagKit.Cli.Output;
using Grpc.Core;

namespace FlagKit.Cli.Commands;

/// <summary>
/// Binds a command to its handler, in one place turning every failure into one line on stderr (and, with
/// <c>--json</c>, an error object on stdout) and an exit code. Never a stack trace.
/// </summary>
internal static class CommandAction
{
    /// <summary>The clock commands use (the real one; tests drive the real process).</summary>
    public static TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public static void Set(Command command, Func<CommandContext, Task<int>> handler) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CommandContext(parse, TimeProvider, cancellationToken);
            try
            {
                return await handler(context).ConfigureAwait(false);
            }
            catch (CommandFailedException ex)
            {
                return Fail(context, ex.ExitCode, ex.Message, (ex as ValidationFailedException)?.Problems, ex as OutcomeUnknownException);
            }
            catch (RpcException ex)
            {
                var described = Connection.AdminConnection.Describe(ex, context.Settings);
                return Fail(context, described.ExitCode, described.Message, null);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Fail(context, ExitCodes.Other, "cancelled.", null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Fail(context, ExitCodes.Other, $"{ex.Message.TrimEnd('.')}.", null);
            }
            catch (Exception ex)
            {
                return Fail(context, ExitCodes.Other, $"unexpected error ({ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ").TrimEnd('.')}); please report it.", null);
            }
        });

    private static int Fail(CommandContext context, int exitCode, string message, List<ProblemJson>? problems, OutcomeUnknownException? unknown = null)
    {
        context.Error.WriteLine($"flagkit: {message}");
        if (unknown is not null)
        {
            context.Error.WriteLine($"  check what happened:  {unknown.Check}");
            context.Error.WriteLine($"  retry (at most once): {unknown.Retry}");
        }

        if (problems is not null)
        {
            // The first problem is already in the message line.
            foreach (var p in problems.Skip(1))
            {
                context.Error.WriteLine($"  {p.Document} at {p.Path}: {p.Message}");
            }
        }

        if (context.Json)
        {
            context.WriteJson(
                new ErrorJson(new ErrorBodyJson(exitCode, ExitCodes.Name(exitCode), message, problems, unknown?.IdempotencyKey, unknown?.Retry, unknown?.Check)),
                CliJsonContext.Default.ErrorJson);
        }

        return exitCode;
    }
}

/// <summary>A flags file failed local validation; nothing was sent to the server.</summary>
internal sealed class ValidationFailedException(string message, List<ProblemJson> problems)
    : CommandFailedException(ExitCodes.Invalid, message)
{
    public List<ProblemJson> Problems { get; } = problems;
}
