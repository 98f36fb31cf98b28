using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Cli.Output;

// The shapes `--json` prints. They are a contract with scripts (documented in docs/cli.md): members are only ever
// added, never renamed or removed. Names are camelCase; absent values are written as null, never left out.

/// <summary>What every write prints.</summary>
internal sealed record WriteJson(
    string Environment, long PreviousRevision, long Revision, bool DryRun, bool Replayed, List<ChangeJson> Changes, WaitJson? Wait,
    List<FlagKillStateJson>? KillState = null);

/// <summary>After a kill or unkill: whether a flag it reached is killed, and every source that still holds it down.</summary>
internal sealed record FlagKillStateJson(string Key, bool Killed, List<KillJson> Kills);

/// <summary>One kill source of a flag: <c>flag</c>, <c>tag:T</c> or <c>incident:ID</c>, with who, why and when.</summary>
internal sealed record KillJson(string Source, string? By, string? Reason, DateTimeOffset? At);

/// <summary>One document a write changed (or, in a dry run, would change).</summary>
internal sealed record ChangeJson(
    string Kind, string Key, string Action, string Summary, List<FieldChangeJson> Fields, JsonElement? Before, JsonElement? After);

/// <summary>One value that changed inside a document.</summary>
internal sealed record FieldChangeJson(string Path, JsonElement? Before, JsonElement? After);

/// <summary>The outcome of <c>--wait</c>.</summary>
internal sealed record WaitJson(
    long Revision, int Instances, int Applied, double ElapsedSeconds, bool Complete, List<InstanceJson> Pending);

/// <summary><c>list</c>.</summary>
internal sealed record FlagListJson(string Environment, long Revision, List<FlagSummaryJson> Flags);

/// <summary>One flag in <c>list</c>.</summary>
internal sealed record FlagSummaryJson(
    string Key, string Kind, string State, bool On, bool Killed, List<string> Tags, string Serves,
    long Version, long Revision, DateTimeOffset? UpdatedAt, string UpdatedBy, List<KillJson> Kills);

/// <summary><c>get</c>.</summary>
internal sealed record FlagDetailJson(
    string Environment, long EnvironmentRevision, string Key, string State, long Version, long Revision,
    DateTimeOffset? UpdatedAt, string UpdatedBy, JsonElement Document, List<KillJson> Kills);

/// <summary><c>history</c>.</summary>
internal sealed record HistoryJson(string Environment, string? Key, List<HistoryEntryJson> Entries);

/// <summary>One history row.</summary>
internal sealed record HistoryEntryJson(
    long Revision, string Kind, string Key, string Action, string Author, string Comment, DateTimeOffset? Time,
    string Summary, JsonElement? Before, JsonElement? After, string? Operation);

/// <summary><c>audit</c>.</summary>
internal sealed record AuditJson(string Environment, List<AuditEntryJson> Entries);

/// <summary>One audit row: who did what, where, when.</summary>
internal sealed record AuditEntryJson(
    long Id, DateTimeOffset? Time, string Actor, string Action, string Environment, string Target, long Revision, string Detail);

/// <summary><c>export --json</c>.</summary>
internal sealed record ExportJson(string Environment, long Revision, JsonElement File);

/// <summary><c>status</c>.</summary>
internal sealed record StatusJson(
    string Environment, long Revision, int InstanceCount, int UpToDate, List<InstanceJson> Instances, List<FlagKillStateJson> KilledFlags,
    Commands.ModesJson? Modes = null, StatusFreezesJson? Freezes = null);

/// <summary><c>status</c>'s freezes: the one in force now and the next to start (null when none).</summary>
internal sealed record StatusFreezesJson(FreezeOccurrenceJson? Current, FreezeOccurrenceJson? Next);

/// <summary>One occurrence of a freeze window: its name, start (null for the one in force: it began earlier) and end.</summary>
internal sealed record FreezeOccurrenceJson(string Name, DateTimeOffset? Start, DateTimeOffset End);

/// <summary>One connected SDK instance.</summary>
internal sealed record InstanceJson(
    string InstanceId, string App, string AppVersion, string Sdk, string SdkVersion, string Peer,
    DateTimeOffset? ConnectedAt, long AckedRevision, DateTimeOffset? AckedAt, long Lag, int FailedDocuments, long SentRevision, DateTimeOffset? SentAt);

/// <summary><c>env list</c>.</summary>
internal sealed record EnvironmentListJson(List<EnvironmentJson> Environments);

/// <summary>One environment (also what <c>env create</c> prints).</summary>
internal sealed record EnvironmentJson(string Name, long Revision, DateTimeOffset? CreatedAt, int Flags, int Segments);

/// <summary><c>keys list</c>.</summary>
internal sealed record ApiKeyListJson(List<ApiKeyJson> Keys);

/// <summary>One API key (never its secret).</summary>
internal sealed record ApiKeyJson(
    string Id, string Name, string Role, string? Environment, DateTimeOffset? CreatedAt, bool Revoked, string Prefix);

/// <summary><c>keys create</c>: the secret is shown once.</summary>
internal sealed record ApiKeyCreatedJson(ApiKeyJson Key, string Secret);

/// <summary><c>keys revoke</c>.</summary>
internal sealed record ApiKeyRevokedJson(ApiKeyJson Key);

/// <summary>What a failing command prints on stdout with <c>--json</c> (the line on stderr is printed too).</summary>
internal sealed record ErrorJson(ErrorBodyJson Error);

/// <summary>The error itself (<c>idempotencyKey</c>, <c>retry</c>, <c>check</c>: only when a write's outcome is unknown).</summary>
internal sealed record ErrorBodyJson(
    int ExitCode, string Kind, string Message, List<ProblemJson>? Problems, string? IdempotencyKey = null, string? Retry = null, string? Check = null);

/// <summary>One validation problem in a flags file.</summary>
internal sealed record ProblemJson(string Document, string Path, string Message);

/// <summary>Source-generated serialization for every <c>--json</c> shape.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true)]
[JsonSerializable(typeof(WriteJson))]
[JsonSerializable(typeof(FlagListJson))]
[JsonSerializable(typeof(FlagDetailJson))]
[JsonSerializable(typeof(HistoryJson))]
[JsonSerializable(typeof(AuditJson))]
[JsonSerializable(typeof(ExportJson))]
[JsonSerializable(typeof(StatusJson))]
[JsonSerializable(typeof(EnvironmentListJson))]
[JsonSerializable(typeof(EnvironmentJson))]
[JsonSerializable(typeof(ApiKeyListJson))]
[JsonSerializable(typeof(ApiKeyCreatedJson))]
[JsonSerializable(typeof(ApiKeyRevokedJson))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
