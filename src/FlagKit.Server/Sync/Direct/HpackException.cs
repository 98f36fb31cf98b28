namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// A malformed HPACK header block (RFC 7541), or one over the header list size limit: the HTTP/2 connection must end
/// with COMPRESSION_ERROR, since the decoder's dynamic table can no longer be trusted to match the peer's. The message
/// names what was wrong and the byte offset in the block.
/// </summary>
internal sealed class HpackException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong, and where (byte offset in the header block).</param>
    public HpackException(string message)
        : base(message)
    {
    }
}
