using System.Text.Json.Serialization;

namespace FlagKit.Cli.Output;

// The `--json` shapes of `schedule …`, `freeze …` and a write scheduled with --at/--in: a contract with scripts, like
// JsonShapes.cs (members only added; camelCase; absent values written as null).

/// <summary>One scheduled change.</summary>
internal sealed record ScheduledChangeJson(
    long Id, string Environment, string Rpc, string Target, string Description, DateTimeOffset? DueAt, string State, string CreatedBy,
    DateTimeOffset? CreatedAt, long BaseRevision, string Note, long AppliedRevision, DateTimeOffset? FinishedAt);

/// <summary><c>schedule list</c>.</summary>
internal sealed record ScheduleListJson(List<ScheduledChangeJson> Changes);

/// <summary>One freeze window and when it is in force.</summary>
internal sealed record FreezeJson(
    string Environment, string Name, DateTimeOffset? Start, DateTimeOffset? End, List<string> Days, string? LocalStart, string? LocalEnd,
    string? TimeZone, string Comment, string CreatedBy, DateTimeOffset? CreatedAt, bool Active, DateTimeOffset? CurrentEnd,
    DateTimeOffset? NextStart, DateTimeOffset? NextEnd);

/// <summary><c>freeze list</c>.</summary>
internal sealed record FreezeListJson(List<FreezeJson> Freezes);

/// <summary>The source-generated serializer of the schedule and freeze shapes.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true)]
[JsonSerializable(typeof(ScheduledChangeJson))]
[JsonSerializable(typeof(ScheduleListJson))]
[JsonSerializable(typeof(FreezeJson))]
[JsonSerializable(typeof(FreezeListJson))]
internal sealed partial class ScheduleJsonContext : JsonSerializerContext;
