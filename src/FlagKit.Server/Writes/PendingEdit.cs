using FlagKit.Protocol.V1;

namespace FlagKit.Server.Writes;

/// <summary>One edit after diffing.</summary>
/// <param name="Edit">The edit.</param>
/// <param name="Live">The live document it replaces or archives.</param>
/// <param name="Json">The new bytes (null for an archive, or a number that cannot be written).</param>
/// <param name="Archive">Archives a live document.</param>
/// <param name="Unchanged">The "unchanged" change, when the edit changes nothing.</param>
internal sealed record PendingEdit(DocumentEdit Edit, DocumentEntry? Live, byte[]? Json, bool Archive, Change? Unchanged)
{
    /// <summary>An edit that changes nothing.</summary>
    /// <param name="edit">The edit.</param>
    /// <param name="why">The summary ("no change", "not live").</param>
    /// <returns>The pending edit.</returns>
    public static PendingEdit Same(DocumentEdit edit, string why) =>
        new(edit, null, null, false, new Change { Kind = edit.Kind, Key = edit.Key, Action = "unchanged", Summary = why });
}
