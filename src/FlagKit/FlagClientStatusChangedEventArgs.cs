namespace FlagKit;

/// <summary>Raised by <see cref="FlagClient.StatusChanged"/> when the client's status changes.</summary>
/// <remarks>Immutable.</remarks>
public sealed class FlagClientStatusChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="status">The new status.</param>
    /// <param name="previousStatus">The status before.</param>
    /// <param name="detail">What the source said about it, if anything.</param>
    internal FlagClientStatusChangedEventArgs(FlagClientStatus status, FlagClientStatus previousStatus, string? detail)
    {
        Status = status;
        PreviousStatus = previousStatus;
        Detail = detail;
    }

    /// <summary>The new status.</summary>
    public FlagClientStatus Status { get; }

    /// <summary>The status before.</summary>
    public FlagClientStatus PreviousStatus { get; }

    /// <summary>What the source said about it (e.g. the validation errors of a bad edit), if anything.</summary>
    public string? Detail { get; }
}
