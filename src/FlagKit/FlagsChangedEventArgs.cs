namespace FlagKit;

/// <summary>Raised by <see cref="FlagClient.FlagsChanged"/> after a new snapshot was swapped in.</summary>
/// <remarks>Immutable.</remarks>
public sealed class FlagsChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="keys">The keys whose result could have changed.</param>
    /// <param name="revision">The revision now serving.</param>
    /// <param name="previousRevision">The revision served before.</param>
    internal FlagsChangedEventArgs(IReadOnlyList<string> keys, long revision, long previousRevision)
    {
        Keys = keys;
        Revision = revision;
        PreviousRevision = previousRevision;
    }

    /// <summary>
    /// The flag keys whose result could have changed for some context, in ordinal order: flags added, removed or
    /// edited, flags that use a segment that changed, and flags whose prerequisites changed, transitively.
    /// </summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The revision now serving.</summary>
    public long Revision { get; }

    /// <summary>The revision served before the swap.</summary>
    public long PreviousRevision { get; }
}
