using System.Globalization;

namespace FlagKit.Versioning;

/// <summary>
/// The header and gRPC metadata format that carries contract offers and answers. The same keys and values are
/// used over HTTP and gRPC (see <c>docs/versioning.md</c>).
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>flagkit-offer-{contract}</c> (request)</term><description>the versions the client offers, e.g. <c>3.1.0, 3.0.0</c>.</description></item>
/// <item><term><c>flagkit-chosen-{contract}</c> (response)</term><description>the version the server chose, e.g. <c>3.1.0</c>.</description></item>
/// <item><term><c>flagkit-supported-{contract}</c> (response, always)</term><description>the versions the server serves, highest first.</description></item>
/// <item><term><c>flagkit-sunset-{contract}</c> (response)</term><description>for a deprecated choice, its sunset as ISO 8601 UTC (<c>2026-12-31T00:00:00Z</c>).</description></item>
/// <item><term><c>flagkit-refused-{contract}</c> (response / trailer)</term><description>on a refusal, its code: <c>no-overlap</c>, <c>policy-excluded-all</c>, <c>peer-offered-nothing</c>, <c>only-retired-in-common</c> or <c>protocol-error</c>.</description></item>
/// </list>
/// Version lists are full SemVer versions separated by commas (white space around them ignored), at most
/// <see cref="MaxVersionsPerList"/>. All members are thread-safe and never throw on bad input.
/// </remarks>
internal static class ContractWire
{
    /// <summary>The most versions a list may hold; longer lists are a protocol error.</summary>
    public const int MaxVersionsPerList = 64;

    /// <summary>The request key that carries the client's offer.</summary>
    /// <param name="contract">The contract's name.</param>
    /// <returns><c>flagkit-offer-{contract}</c>.</returns>
    public static string OfferKey(string contract) => "flagkit-offer-" + contract;

    /// <summary>The response key that carries the chosen version.</summary>
    /// <param name="contract">The contract's name.</param>
    /// <returns><c>flagkit-chosen-{contract}</c>.</returns>
    public static string ChosenKey(string contract) => "flagkit-chosen-" + contract;

    /// <summary>The response key that carries the versions the server supports.</summary>
    /// <param name="contract">The contract's name.</param>
    /// <returns><c>flagkit-supported-{contract}</c>.</returns>
    public static string SupportedKey(string contract) => "flagkit-supported-" + contract;

    /// <summary>The response key that carries the sunset of a deprecated choice.</summary>
    /// <param name="contract">The contract's name.</param>
    /// <returns><c>flagkit-sunset-{contract}</c>.</returns>
    public static string SunsetKey(string contract) => "flagkit-sunset-" + contract;

    /// <summary>The response key that carries a refusal's code.</summary>
    /// <param name="contract">The contract's name.</param>
    /// <returns><c>flagkit-refused-{contract}</c>.</returns>
    public static string RefusedKey(string contract) => "flagkit-refused-" + contract;

    /// <summary>Formats a version list: <c>3.1.0, 3.0.0</c>.</summary>
    /// <param name="versions">The versions.</param>
    /// <returns>The header value.</returns>
    public static string FormatVersions(IEnumerable<SemanticVersion> versions) => string.Join(", ", versions);

    /// <summary>Reads a version list. Null or blank is an empty list (nothing offered).</summary>
    /// <param name="value">The header value.</param>
    /// <param name="versions">The versions in the order given, duplicates removed.</param>
    /// <param name="error">Null on success; otherwise what is wrong and where.</param>
    /// <returns>Whether the value is a valid list.</returns>
    /// <remarks>Never throws.</remarks>
    public static bool TryParseVersions(string? value, out IReadOnlyList<SemanticVersion> versions, out string? error)
    {
        versions = [];
        error = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        var list = new List<SemanticVersion>();
        var start = 0;
        while (start <= value.Length)
        {
            var comma = value.IndexOf(',', start);
            var end = comma < 0 ? value.Length : comma;
            var item = value[start..end].Trim();
            if (!SemanticVersion.TryParse(item, out var version, out var problem))
            {
                error = $"Version list '{value}' has an entry that is not a version at index {start}: {problem}";
                return false;
            }

            if (!string.IsNullOrEmpty(version.BuildMetadata))
            {
                error = $"Version list '{value}' has an entry with build metadata at index {start}: '{item}'.";
                return false;
            }

            if (!list.Contains(version))
            {
                if (list.Count == MaxVersionsPerList)
                {
                    error = $"Version list '{value[..Math.Min(value.Length, 80)]}...' has more than {MaxVersionsPerList} versions.";
                    return false;
                }

                list.Add(version);
            }

            if (comma < 0)
            {
                break;
            }

            start = comma + 1;
        }

        versions = list;
        return true;
    }

    /// <summary>The wire code of a negotiation status: <c>agreed</c>, <c>no-overlap</c>, <c>policy-excluded-all</c>, ...</summary>
    /// <param name="status">The status.</param>
    /// <returns>The code.</returns>
    public static string FormatStatus(NegotiationStatus status) => status switch
    {
        NegotiationStatus.Agreed => "agreed",
        NegotiationStatus.NoOverlap => "no-overlap",
        NegotiationStatus.PolicyExcludedAll => "policy-excluded-all",
        NegotiationStatus.PeerOfferedNothing => "peer-offered-nothing",
        NegotiationStatus.OnlyRetiredInCommon => "only-retired-in-common",
        _ => "protocol-error",
    };

    /// <summary>Reads a wire code written by <see cref="FormatStatus"/>.</summary>
    /// <param name="code">The code.</param>
    /// <param name="status">The status.</param>
    /// <returns>Whether the code is known.</returns>
    public static bool TryParseStatus(string? code, out NegotiationStatus status)
    {
        foreach (var candidate in Enum.GetValues<NegotiationStatus>())
        {
            if (string.Equals(FormatStatus(candidate), code?.Trim(), StringComparison.Ordinal))
            {
                status = candidate;
                return true;
            }
        }

        status = NegotiationStatus.ProtocolError;
        return false;
    }

    /// <summary>Formats a sunset as ISO 8601 UTC: <c>2026-12-31T00:00:00Z</c>.</summary>
    /// <param name="sunset">The instant.</param>
    /// <returns>The value.</returns>
    public static string FormatSunset(DateTimeOffset sunset) =>
        sunset.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The keys and values a server writes in its response (gRPC response headers or trailers, HTTP response
    /// headers): always the supported list; the chosen version and, when deprecated, its sunset; or the refusal code.
    /// </summary>
    /// <param name="result">The server's negotiation result.</param>
    /// <returns>The entries, keys in lower case.</returns>
    public static IReadOnlyList<KeyValuePair<string, string>> AnswerEntries(NegotiationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var entries = new List<KeyValuePair<string, string>>(3)
        {
            new(SupportedKey(result.ContractName), FormatVersions(result.Supported)),
        };
        if (result.Chosen is { } chosen)
        {
            entries.Add(new(ChosenKey(result.ContractName), chosen.Text));
            if (chosen.Sunset is { } sunset)
            {
                entries.Add(new(SunsetKey(result.ContractName), FormatSunset(sunset)));
            }
        }
        else
        {
            entries.Add(new(RefusedKey(result.ContractName), FormatStatus(result.Status)));
        }

        return entries;
    }

    /// <summary>
    /// The standard HTTP headers for a deprecated choice: <c>Deprecation</c> (RFC 9745, <c>@</c> + Unix seconds of
    /// when the deprecation took effect, or of <paramref name="now"/> when not known) and <c>Sunset</c> (RFC 8594,
    /// an HTTP-date). Empty when the choice is not deprecated.
    /// </summary>
    /// <param name="result">The server's negotiation result.</param>
    /// <param name="now">The current time, used when the deprecation date is not known.</param>
    /// <returns>The headers.</returns>
    public static IReadOnlyList<KeyValuePair<string, string>> HttpDeprecationHeaders(NegotiationResult result, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Chosen is not { Status: ContractVersionStatus.Deprecated } chosen)
        {
            return [];
        }

        var since = chosen.DeprecatedSince ?? now;
        var headers = new List<KeyValuePair<string, string>>(2)
        {
            new("Deprecation", "@" + since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        };
        if (chosen.Sunset is { } sunset)
        {
            headers.Add(new("Sunset", sunset.UtcDateTime.ToString("R", CultureInfo.InvariantCulture)));
        }

        return headers;
    }
}
