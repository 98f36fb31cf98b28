namespace FlagKit.Server.Store;

/// <summary>One immutable mode history row.</summary>
/// <param name="Version">The mode version the change made.</param>
/// <param name="Action">The RPC (<c>SetModeSwitch</c>, <c>ScheduleMaintenance</c>, <c>CancelMaintenance</c>).</param>
/// <param name="Author">Who.</param>
/// <param name="Comment">Why.</param>
/// <param name="Time">When.</param>
/// <param name="Summary">What changed, in words.</param>
/// <param name="Before">The document before (null at the first change).</param>
/// <param name="After">The document after.</param>
internal sealed record ModeHistoryRecord(
    long Version, string Action, string Author, string Comment, DateTimeOffset Time, string Summary, byte[]? Before, byte[] After);
