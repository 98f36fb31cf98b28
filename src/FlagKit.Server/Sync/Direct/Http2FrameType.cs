namespace FlagKit.Server.Sync.Direct;

/// <summary>HTTP/2 frame types (RFC 9113, section 6).</summary>
internal enum Http2FrameType : byte
{
    /// <summary>DATA.</summary>
    Data = 0x0,

    /// <summary>HEADERS.</summary>
    Headers = 0x1,

    /// <summary>PRIORITY (deprecated; read and ignored).</summary>
    Priority = 0x2,

    /// <summary>RST_STREAM.</summary>
    RstStream = 0x3,

    /// <summary>SETTINGS.</summary>
    Settings = 0x4,

    /// <summary>PUSH_PROMISE (never valid from a client).</summary>
    PushPromise = 0x5,

    /// <summary>PING.</summary>
    Ping = 0x6,

    /// <summary>GOAWAY.</summary>
    GoAway = 0x7,

    /// <summary>WINDOW_UPDATE.</summary>
    WindowUpdate = 0x8,

    /// <summary>CONTINUATION.</summary>
    Continuation = 0x9,
}
