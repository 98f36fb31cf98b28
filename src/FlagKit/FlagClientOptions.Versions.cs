using FlagKit.Versioning;

namespace FlagKit;

/// <summary>Options of a <see cref="FlagClient"/>: version pinning.</summary>
public sealed partial class FlagClientOptions
{
    /// <summary>
    /// Where <see cref="FlagClient.GetVersion"/> keeps version pins. When null (the default), an in-memory
    /// <see cref="MemoryVersionPinStore"/> with <see cref="VersionPinExpiry"/> and the client's
    /// <see cref="TimeProvider"/>. Set a durable store for rounds that must survive a restart.
    /// </summary>
    public IVersionPinStore? VersionPinStore { get; set; }

    /// <summary>How long an in-memory version pin lives after it is created. 24 hours by default.</summary>
    public TimeSpan VersionPinExpiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Whether reading an in-memory pin extends its life by <see cref="VersionPinExpiry"/> (sliding expiry). False by default.</summary>
    public bool VersionPinSlidingExpiry { get; set; }
}
