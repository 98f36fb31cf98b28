namespace FlagKit.Server.Sync.Direct;

/// <summary>A connection error (RFC 9113, section 5.4.1): the connection ends with GOAWAY carrying the code.</summary>
internal sealed class Http2ConnectionException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="code">The GOAWAY error code.</param>
    /// <param name="message">What was wrong, for the log and the GOAWAY's debug data.</param>
    public Http2ConnectionException(Http2ErrorCode code, string message)
        : base(message) => Code = code;

    /// <summary>The GOAWAY error code.</summary>
    public Http2ErrorCode Code { get; }
}
