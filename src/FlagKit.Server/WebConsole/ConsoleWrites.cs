using FlagKit.Protocol.V1;
using FlagKit.Server.Admin;
using Grpc.Core;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// Runs a console write through the admin service's own RPC method (<see cref="FlagAdminService"/>), as the signed-in
/// key: same validation, compiler, idempotency, expected revision, commit, history and audit as a CLI write. Refusals
/// come as <see cref="Writes.WriteRefusedException"/> (the domain's) or <see cref="RpcException"/> (the service's own
/// checks); both are shown in their own words.
/// </summary>
internal static class ConsoleWrites
{
    /// <summary>Calls one admin method for the signed-in user.</summary>
    /// <param name="http">The console request (signed in as an admin: the endpoint's policy checked it).</param>
    /// <param name="method">The admin method's name, e.g. <c>SetFlagState</c> (the call context names it).</param>
    /// <param name="call">The call.</param>
    /// <returns>The answer or the refusal.</returns>
    public static async Task<ConsoleWriteResult> RunAsync(HttpContext http, string method, Func<FlagAdminService, ServerCallContext, Task<WriteResponse>> call)
    {
        var user = ConsoleUser.From(http.User) ?? throw new InvalidOperationException("A console write was reached without a session.");
        var service = ActivatorUtilities.CreateInstance<FlagAdminService>(http.RequestServices);
        var context = new ConsoleCallContext(http, user.ToCaller(), "/flagkit.v1.FlagAdmin/" + method);
        try
        {
            return new ConsoleWriteResult(await call(service, context).ConfigureAwait(false), null, false);
        }
        catch (Writes.WriteRefusedException e) when (e.Refusal != Writes.WriteRefusal.Unavailable)
        {
            return new ConsoleWriteResult(null, e.Message, e.Refusal == Writes.WriteRefusal.Conflict && e.Message.StartsWith("Stale write", StringComparison.Ordinal));
        }
        catch (Writes.WriteRefusedException e)
        {
            return new ConsoleWriteResult(null, $"The write did not go through: {e.Message}", false);
        }
        catch (RpcException e) when (e.StatusCode is not (StatusCode.Unavailable or StatusCode.Internal or StatusCode.Cancelled))
        {
            return new ConsoleWriteResult(null, e.Status.Detail, e.StatusCode == StatusCode.FailedPrecondition && e.Status.Detail.StartsWith("Stale write", StringComparison.Ordinal));
        }
        catch (RpcException e)
        {
            return new ConsoleWriteResult(null, $"The write did not go through: {e.Status.Detail}", false);
        }
    }

    /// <summary>Write options for a console write: the environment revision the check was made against, and the comment.</summary>
    /// <param name="expectedRevision">The environment's revision when the page's data was checked.</param>
    /// <param name="comment">Why (optional).</param>
    /// <returns>The options.</returns>
    public static FlagKit.Protocol.V1.WriteOptions Options(long expectedRevision, string? comment) =>
        new() { ExpectedRevision = expectedRevision, Comment = (comment ?? "").Trim() };
}
