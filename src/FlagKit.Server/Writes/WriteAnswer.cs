using FlagKit.Protocol.V1;

namespace FlagKit.Server.Writes;

/// <summary>
/// Fills a write's answer so that it never exceeds the message limit: every change's summary while they fit in half
/// the limit (the rest are counted in <see cref="WriteResponse.ChangesOmitted"/>), and the documents before and
/// after only while they fit in a quarter of it (<see cref="WriteResponse.DocumentsOmitted"/> says some were left out;
/// the history keeps them all).
/// </summary>
internal sealed class WriteAnswer
{
    // Tag, length prefixes and the small fields of one Change, generously.
    private const int ChangeOverhead = 32;

    private readonly WriteResponse _response;
    private readonly long _summaryBudget;
    private readonly long _documentBudget;
    private long _summaryBytes;
    private long _documentBytes;

    /// <summary>Starts filling <paramref name="response"/>.</summary>
    /// <param name="response">The answer (its changes are added here).</param>
    /// <param name="maxMessageBytes">The server's message limit.</param>
    public WriteAnswer(WriteResponse response, int maxMessageBytes)
    {
        _response = response;
        _summaryBudget = maxMessageBytes / 2;
        _documentBudget = maxMessageBytes / 4;
    }

    /// <summary>Adds the changes in order, within the budgets.</summary>
    /// <param name="changes">The changes, with their documents.</param>
    public void AddAll(IEnumerable<Change> changes)
    {
        foreach (var change in changes)
        {
            Add(change);
        }
    }

    private void Add(Change change)
    {
        var size = ChangeOverhead + System.Text.Encoding.UTF8.GetByteCount(change.Key) + System.Text.Encoding.UTF8.GetByteCount(change.Summary) + change.Action.Length;
        if (_summaryBytes + size > _summaryBudget)
        {
            _response.ChangesOmitted++;
            return;
        }

        _summaryBytes += size;
        var documents = (long)change.BeforeJson.Length + change.AfterJson.Length;
        if (documents > 0 && _documentBytes + documents > _documentBudget)
        {
            change = change.Clone();
            change.BeforeJson = Google.Protobuf.ByteString.Empty;
            change.AfterJson = Google.Protobuf.ByteString.Empty;
            _response.DocumentsOmitted = true;
        }
        else
        {
            _documentBytes += documents;
        }

        _response.Changes.Add(change);
    }
}
