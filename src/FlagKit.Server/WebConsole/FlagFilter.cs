using FlagKit.Documents;

namespace FlagKit.Server.WebConsole;

/// <summary>The flag list's search and filters, all from the query string (so a filtered list can be pasted in chat).</summary>
/// <param name="Search">Text the key or description contains (case-insensitive), or null.</param>
/// <param name="Tag">A tag the flag carries, or null.</param>
/// <param name="State"><c>on</c>, <c>off</c>, <c>killed</c>, or null for any.</param>
internal sealed record FlagFilter(string? Search, string? Tag, string? State)
{
    /// <summary>The states the filter knows.</summary>
    public static readonly string[] States = ["on", "off", "killed"];

    /// <summary>Reads <c>?q=&amp;tag=&amp;state=</c>; an unknown state is ignored.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The filter.</returns>
    public static FlagFilter From(ConsoleRequest request)
    {
        var state = request.Query("state");
        return new FlagFilter(request.Query("q")?.Trim(), request.Query("tag"), States.Contains(state) ? state : null);
    }

    /// <summary>Whether a flag passes.</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>True when it matches every given filter.</returns>
    public bool Matches(FlagDocument flag) =>
        (string.IsNullOrEmpty(Search)
            || flag.Key.Contains(Search, StringComparison.OrdinalIgnoreCase)
            || (flag.Description ?? "").Contains(Search, StringComparison.OrdinalIgnoreCase))
        && (Tag is null || flag.Tags.Contains(Tag, StringComparer.Ordinal))
        && (State is null || FlagText.State(flag) == State);
}
