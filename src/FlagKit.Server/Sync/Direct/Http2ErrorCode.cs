namespace FlagKit.Server.Sync.Direct;

/// <summary>HTTP/2 error codes (RFC 9113, section 7) this server sends.</summary>
internal enum Http2ErrorCode : uint
{
    /// <summary>NO_ERROR: a graceful end.</summary>
    NoError = 0x0,

    /// <summary>PROTOCOL_ERROR.</summary>
    ProtocolError = 0x1,

    /// <summary>INTERNAL_ERROR.</summary>
    InternalError = 0x2,

    /// <summary>FLOW_CONTROL_ERROR.</summary>
    FlowControlError = 0x3,

    /// <summary>SETTINGS_TIMEOUT.</summary>
    SettingsTimeout = 0x4,

    /// <summary>STREAM_CLOSED.</summary>
    StreamClosed = 0x5,

    /// <summary>FRAME_SIZE_ERROR.</summary>
    FrameSizeError = 0x6,

    /// <summary>REFUSED_STREAM: the stream was not processed; the client may retry it (on another connection).</summary>
    RefusedStream = 0x7,

    /// <summary>CANCEL.</summary>
    Cancel = 0x8,

    /// <summary>COMPRESSION_ERROR: the header block could not be decoded.</summary>
    CompressionError = 0x9,

    /// <summary>ENHANCE_YOUR_CALM: the peer generates excessive load.</summary>
    EnhanceYourCalm = 0xb,
}
