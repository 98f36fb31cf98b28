namespace FlagKit.Server.Store;

/// <summary>A freeze window as stored: one-off (<paramref name="Start"/>, <paramref name="End"/>) or recurring (days and local times in a zone).</summary>
/// <param name="Environment">The environment it freezes.</param>
/// <param name="Name">Its name, unique in the environment.</param>
/// <param name="Start">One-off: the first frozen instant.</param>
/// <param name="End">One-off: the first instant after it.</param>
/// <param name="Days">Recurring: the days it starts on, e.g. <c>sat,sun</c> (empty: one-off).</param>
/// <param name="LocalStart">Recurring: <c>HH:mm</c> local start.</param>
/// <param name="LocalEnd">Recurring: <c>HH:mm</c> local end (at or before the start: the next day).</param>
/// <param name="TimeZone">Recurring: the IANA zone.</param>
/// <param name="Comment">Why.</param>
/// <param name="CreatedBy">Who added it.</param>
/// <param name="CreatedAt">When.</param>
internal sealed record FreezeRecord(
    string Environment,
    string Name,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    string Days,
    string LocalStart,
    string LocalEnd,
    string TimeZone,
    string Comment,
    string CreatedBy,
    DateTimeOffset CreatedAt);
