namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// Receives the fields of one header block decoded by <see cref="HpackDecoder"/>, in the order they appear.
/// </summary>
internal interface IHpackHeaderHandler
{
    /// <summary>One decoded header field. The spans are valid only during the call: copy what must outlive it.</summary>
    /// <param name="name">The field name (lower-case for a conforming HTTP/2 peer; not checked here).</param>
    /// <param name="value">The field value.</param>
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
}
