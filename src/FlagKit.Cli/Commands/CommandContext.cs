using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlagKit.Cli.Connection;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;
using Grpc.Core;

namespace FlagKit.Cli.Commands;

/// <summary>
/// Everything one command invocation needs: its parsed values, where to write, the clock, and (opened on first
/// use, so that local-only failures never touch the network) the connection to the server.
/// </summary>
internal sealed class CommandContext : IDisposable
{
    private ServerSettings? _settings;
    private AdminConnection? _connection;
    private PendingWrite? _write;

    public CommandContext(ParseResult parse, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Parse = parse;
        Out = parse.InvocationConfiguration.Output;
        Error = parse.InvocationConfiguration.Error;
        Json = parse.GetValue(GlobalOptions.Json);
        Time = timeProvider;
        Cancellation = cancellationToken;
    }

    public ParseResult Parse { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Whether <c>--json</c> was given.</summary>
    public bool Json { get; }

    public TimeProvider Time { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>The resolved server address, key and environment.</summary>
    public ServerSettings Settings => _settings ??= ServerSettings.Resolve(
        Parse.GetValue(GlobalOptions.Url),
        Parse.GetValue(GlobalOptions.Key),
        Parse.GetValue(GlobalOptions.Environment),
        Parse.GetValue(GlobalOptions.Config),
        System.Environment.GetEnvironmentVariables(),
        actorFlag: Parse.GetValue(GlobalOptions.Actor));

    /// <summary>The environment commands act on.</summary>
    public string Environment => Settings.Environment;

    public FlagAdmin.FlagAdminClient Admin => (_connection ??= new AdminConnection(Settings)).Admin;

    public T Value<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Value<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    /// <summary>Makes one admin call, turning a gRPC failure into the line and exit code the user sees.</summary>
    public Task<T> CallAsync<T>(Func<FlagAdmin.FlagAdminClient, CallOptions, AsyncUnaryCall<T>> call) =>
        CallAsync((admin, options) => call(admin, options).ResponseAsync);

    /// <summary>Runs one admin call (or a few, e.g. pages), turning a failure into the message and exit code an operator reads.</summary>
    public async Task<T> CallAsync<T>(Func<FlagAdmin.FlagAdminClient, CallOptions, Task<T>> call)
    {
        try
        {
            return await call(Admin, AdminConnection.Call(Time, Cancellation)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (typeof(T) == typeof(WriteResponse) && _write is { } write && AdminConnection.MayHaveLanded(ex))
        {
            throw OutcomeUnknown(ex, write);
        }
        catch (RpcException ex)
        {
            throw AdminConnection.Describe(ex, Settings);
        }
    }

    /// <summary>
    /// Write options for a write command: comment, expected revision and a fresh idempotency key. Call it right before
    /// the write: if the write's answer is lost, the failure names this key, the command to retry and how to check.
    /// </summary>
    /// <param name="expectedRevision">The revision to expect unless <c>--expected-revision</c> is given.</param>
    /// <param name="flag">The flag written (named in the check command), if one.</param>
    public FlagKit.Protocol.V1.WriteOptions WriteOptions(long? expectedRevision = null, string? flag = null)
    {
        var options = new FlagKit.Protocol.V1.WriteOptions
        {
            Comment = Parse.GetValue(WriteOptionsSet.Comment) ?? "",
            // One key per invocation unless the caller names one: a script retrying after a lost answer (exit 6)
            // passes the same key, and the server applies the write once and answers as it did the first time.
            IdempotencyKey = Parse.GetValue(WriteOptionsSet.IdempotencyKey) ?? "flagkit-cli-" + Guid.NewGuid().ToString("N"),
        };
        if ((Parse.GetValue(WriteOptionsSet.ExpectedRevision) ?? expectedRevision) is { } revision)
        {
            options.ExpectedRevision = revision;
        }

        ScheduleOptions.ApplyBreakGlass(Parse, options);
        _write = new PendingWrite(options.IdempotencyKey, flag);
        return options;
    }

    public void WriteJson<T>(T value, JsonTypeInfo<T> type) => Out.WriteLine(JsonSerializer.Serialize(value, type));

    /// <summary>
    /// Asks before a destructive change. Passes with <c>--yes</c>; on a terminal, asks and passes on "y"/"yes";
    /// otherwise (a script, a pipe) fails with a usage error: scripts must say <c>--yes</c>.
    /// </summary>
    /// <param name="what">What is about to happen, e.g. <c>kill 3 flags tagged 'wallet' in 'production'</c>.</param>
    public void Confirm(string what)
    {
        if (Parse.GetValue(WriteOptionsSet.Yes))
        {
            return;
        }

        if (Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            throw new CommandFailedException(
                ExitCodes.Usage,
                $"refusing to {what} without confirmation (not a terminal); add --yes to proceed.");
        }

        Error.Write($"About to {what}. Continue? [y/N] ");
        Error.Flush();
        var answer = Console.In.ReadLine()?.Trim();
        if (!string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase))
        {
            throw new CommandFailedException(ExitCodes.Other, "cancelled; nothing was changed.");
        }
    }

    public void Dispose() => _connection?.Dispose();

    private OutcomeUnknownException OutcomeUnknown(RpcException exception, PendingWrite write)
    {
        var cause = exception.StatusCode == StatusCode.DeadlineExceeded
            ? $"no answer within {AdminConnection.CallTimeout.TotalSeconds:0} s"
            : "the connection broke before the answer came back";
        var retry = CommandLine.Retry(Parse, write.IdempotencyKey);
        var check = CommandLine.Check(write.Flag, Environment);
        return new OutcomeUnknownException(
            $"the write was sent to {Settings.Url.OriginalString} but {cause}: it may or may not have been applied. " +
            $"Its idempotency key is {write.IdempotencyKey}; retrying with it applies the write at most once.",
            write.IdempotencyKey,
            retry,
            check);
    }

    /// <summary>The write in flight: its idempotency key and the flag it writes (if one).</summary>
    private sealed record PendingWrite(string IdempotencyKey, string? Flag);
}
