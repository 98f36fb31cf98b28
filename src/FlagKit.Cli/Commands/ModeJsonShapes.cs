namespace FlagKit.Cli.Commands;

/// <summary>An environment's operating modes (<c>maintenance list</c>, <c>status</c>): the mode for everyone now and what sets it.</summary>
internal sealed record ModesJson(
    string Environment, long Version, string Mode, DateTimeOffset? Until, string? Message, MaintenanceWindowJson? NextWindow,
    List<ModeSwitchJson> Switches, List<MaintenanceWindowJson> Windows);

/// <summary>One read-only or maintenance switch.</summary>
internal sealed record ModeSwitchJson(string Id, string Mode, string Scope, DateTimeOffset? Until, string? By, string? Reason, DateTimeOffset? At);

/// <summary>One maintenance window.</summary>
internal sealed record MaintenanceWindowJson(
    string Id, string Mode, string Scope, DateTimeOffset Start, DateTimeOffset End, string Message, string? By, string? Reason, DateTimeOffset? At);

/// <summary>A mode write (<c>readonly on|off</c>, <c>maintenance schedule|cancel</c>).</summary>
internal sealed record ModeWriteJson(string Environment, long PreviousVersion, long Version, bool Changed, string Summary, string? Id, ModesJson Modes);
