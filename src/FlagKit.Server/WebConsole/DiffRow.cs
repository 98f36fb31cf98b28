namespace FlagKit.Server.WebConsole;

/// <summary>One row of a side-by-side diff.</summary>
/// <param name="Left">The older line (null: added on the right).</param>
/// <param name="Right">The newer line (null: removed).</param>
/// <param name="Changed">Whether the row differs.</param>
internal sealed record DiffRow(string? Left, string? Right, bool Changed);
