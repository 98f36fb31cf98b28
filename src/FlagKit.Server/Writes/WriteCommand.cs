using FlagKit.Protocol.V1;

namespace FlagKit.Server.Writes;

/// <summary>What a write is, for idempotency, audit, history and the answer.</summary>
/// <param name="Environment">The environment written.</param>
/// <param name="Options">Expected revision, idempotency key, comment.</param>
/// <param name="Caller">Who writes (history author).</param>
/// <param name="Action">The RPC name (audit; part of the idempotency fingerprint).</param>
/// <param name="Target">What it targets (a key, <c>tag:x</c>, <c>file</c>).</param>
/// <param name="Request">The whole request (its bytes fingerprint an idempotent retry).</param>
/// <param name="DryRun">Validate and answer without committing.</param>
/// <param name="Operation">What the write is, in words, for every history row it writes ("rolled back to revision 10").</param>
/// <param name="Urgent">
/// A short state change (enable, disable, kill, unkill): planned and committed under the environment's gate at once,
/// never prepared ahead and retried, so it never waits behind a long edit's preparation.
/// </param>
/// <param name="BreakGlass">
/// A write that takes exposure back (a guarded release's rollback): like a kill, it may break a freeze with an
/// override and a reason (<see cref="Scheduling.FreezeCalendar.Admit"/>).
/// </param>
internal sealed record WriteCommand(
    string Environment,
    WriteOptions? Options,
    Auth.CallerIdentity Caller,
    string Action,
    string Target,
    Google.Protobuf.IMessage Request,
    bool DryRun = false,
    string Operation = "",
    bool Urgent = false,
    bool BreakGlass = false);
