namespace FlagKit.Server.Store;

/// <summary>A scheduled change as stored: the admin request to replay when due, who asked for it, and where it is in its life.</summary>
/// <param name="Id">Assigned by the store (0 before it is stored).</param>
/// <param name="Environment">The environment it writes.</param>
/// <param name="Rpc">The admin RPC that will run it (<c>SetFlagState</c>, <c>PutDocument</c>…).</param>
/// <param name="Request">The RPC's request, protobuf bytes.</param>
/// <param name="Target">What it targets (a key, <c>tag:x</c>, <c>file</c>).</param>
/// <param name="Description">What it does, in words (<c>killed</c>, <c>rollout to 25 %</c>).</param>
/// <param name="KeyId">The API key that scheduled it (the write runs as that key).</param>
/// <param name="KeyName">That key's name.</param>
/// <param name="Actor">Who scheduled it, as history records authors (<c>alice (key ops)</c>).</param>
/// <param name="BaseRevision">The environment's revision when it was scheduled.</param>
/// <param name="DueAt">When it is due.</param>
/// <param name="NotBefore">When it may next be tried: <paramref name="DueAt"/>, or the end of a freeze it waits for.</param>
/// <param name="CreatedAt">When it was scheduled.</param>
/// <param name="State">Where it is (<see cref="ScheduleStates"/>).</param>
/// <param name="Note">Why it waits, failed or was skipped; how late it was applied.</param>
/// <param name="AppliedRevision">The revision it committed (0: none).</param>
/// <param name="FinishedAt">When it left <c>pending</c> for good.</param>
internal sealed record ScheduledChangeRecord(
    long Id,
    string Environment,
    string Rpc,
    byte[] Request,
    string Target,
    string Description,
    string KeyId,
    string KeyName,
    string Actor,
    long BaseRevision,
    DateTimeOffset DueAt,
    DateTimeOffset NotBefore,
    DateTimeOffset CreatedAt,
    string State,
    string Note,
    long AppliedRevision,
    DateTimeOffset? FinishedAt);
