using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Modes;

/// <summary>A mode scope in its canonical forms: the document's map and the text ids and summaries use (<c>game=x,region=eu|uk</c>).</summary>
internal static class ModeScopeText
{
    /// <summary>The text of everyone.</summary>
    public const string Everyone = "everyone";

    /// <summary>The scope of a request as the document's map (attributes and values sorted, duplicates dropped).</summary>
    /// <param name="terms">The request's terms.</param>
    /// <returns>Null for everyone.</returns>
    /// <exception cref="WriteRefusedException">Invalid: an attribute named twice, or without values.</exception>
    public static Dictionary<string, List<string>>? ToMap(IEnumerable<ModeScopeTerm> terms)
    {
        var map = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var term in terms)
        {
            if (string.IsNullOrEmpty(term.Attribute) || term.Values.Count == 0 || term.Values.Any(string.IsNullOrEmpty))
            {
                throw WriteRefusedException.Invalid($"scope: attribute '{term.Attribute}' needs a name and at least one non-empty value.");
            }

            if (!map.TryAdd(term.Attribute, term.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()))
            {
                throw WriteRefusedException.Invalid($"scope: attribute '{term.Attribute}' is named twice.");
            }
        }

        return map.Count == 0 ? null : new Dictionary<string, List<string>>(map, StringComparer.Ordinal);
    }

    /// <summary>The canonical text of a scope.</summary>
    /// <param name="scope">The map; null or empty is everyone.</param>
    /// <returns><c>game=x,region=eu|uk</c>, or <c>everyone</c>.</returns>
    public static string Of(Dictionary<string, List<string>>? scope) =>
        scope is null || scope.Count == 0
            ? Everyone
            : string.Join(",", scope.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={string.Join("|", p.Value)}"));

    /// <summary>A time as the summaries write it.</summary>
    /// <param name="time">The time.</param>
    /// <returns>ISO 8601 UTC, whole seconds.</returns>
    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
