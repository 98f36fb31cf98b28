using FlagKit.Protocol.V1;
using FlagKit.Server.Writes;

namespace FlagKit.Server.Admin;

/// <summary>
/// Listing in pages that never exceed the message limit: an environment of any size can be listed, and an old
/// client that asks for everything at once gets everything when it fits, else a clear refusal (never a cut list).
/// </summary>
internal static class DocumentPages
{
    /// <summary>The most flags one page returns, whatever the caller asks.</summary>
    public const int MaxPageSize = 10_000;

    /// <summary>The bytes one answer may use: the message limit minus headroom for framing and the other fields.</summary>
    /// <param name="maxMessageBytes">The server's message limit.</param>
    /// <returns>The budget.</returns>
    public static int AnswerBudget(int maxMessageBytes) => maxMessageBytes - (maxMessageBytes / 8);

    /// <summary>One page of flags.</summary>
    /// <param name="state">The state listed.</param>
    /// <param name="matching">The flags that match, by key, after the page token.</param>
    /// <param name="pageSize">At most this many (0: all, refused when they do not fit).</param>
    /// <param name="maxMessageBytes">The server's message limit.</param>
    /// <returns>The page and the next page's token.</returns>
    /// <exception cref="WriteRefusedException">LimitExceeded: all were asked for and they do not fit in one answer.</exception>
    public static ListFlagsResponse ListFlags(EnvironmentState state, IEnumerable<DocumentEntry> matching, int pageSize, int maxMessageBytes)
    {
        var response = new ListFlagsResponse { EnvironmentRevision = state.Revision };
        var budget = AnswerBudget(maxMessageBytes);
        var limit = pageSize <= 0 ? int.MaxValue : Math.Min(pageSize, MaxPageSize);
        long bytes = 0;
        foreach (var entry in matching)
        {
            var record = FlagAdminService.Record(entry, state);
            var size = record.CalculateSize() + 8;
            var full = response.Flags.Count >= limit || (bytes + size > budget && response.Flags.Count > 0);
            if (full && pageSize <= 0)
            {
                throw WriteRefusedException.LimitExceeded(
                    $"The flags of environment '{state.Name}' ({state.LiveFlagCount}) do not fit in one answer (FlagKit:Server:MaxMessageBytes); " +
                    "ask for pages with page_size and page_token (the flagkit CLI does).");
            }

            if (full)
            {
                response.NextPageToken = response.Flags[^1].Key;
                break;
            }

            bytes += size;
            response.Flags.Add(record);
        }

        return response;
    }
}
