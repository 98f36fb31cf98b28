namespace FlagKit.Server.WebConsole;

/// <summary>
/// Markup the console built itself and trusts. Everything else put into a page goes through
/// <see cref="HtmlHandler"/>, which escapes it: flag text can never become markup.
/// </summary>
/// <param name="Value">The markup.</param>
internal readonly record struct Html(string Value)
{
    /// <summary>No markup.</summary>
    public static Html Empty => new("");

    /// <summary>Builds markup from an interpolated string whose holes are escaped (except other <see cref="Html"/> values).</summary>
    /// <param name="handler">The interpolated string.</param>
    /// <returns>The markup.</returns>
    public static Html Of(HtmlHandler handler) => new(handler.ToStringAndClear());

    /// <summary>Joins pieces of markup.</summary>
    /// <param name="parts">The pieces.</param>
    /// <returns>The markup.</returns>
    public static Html Join(IEnumerable<Html> parts) => new(string.Concat(parts.Select(p => p.Value)));
}
