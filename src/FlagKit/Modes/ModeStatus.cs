namespace FlagKit;

/// <summary>The operating mode for one context now, and until when it holds (for a <c>Retry-After</c>).</summary>
/// <remarks>A value type: reading it allocates nothing.</remarks>
public readonly struct ModeStatus : IEquatable<ModeStatus>
{
    internal ModeStatus(OperatingMode mode, DateTimeOffset? until, string? message)
    {
        Mode = mode;
        Until = until;
        Message = message;
    }

    /// <summary>The mode: the most restrictive of the switches and windows in force for the context.</summary>
    public OperatingMode Mode { get; }

    /// <summary>
    /// When the mode is expected to end: the latest end of what holds it (a switch's end time, a window's end);
    /// <see langword="null"/> in <see cref="OperatingMode.Normal"/> or when a switch has no end time.
    /// </summary>
    public DateTimeOffset? Until { get; }

    /// <summary>The message of the maintenance window in force, if any.</summary>
    public string? Message { get; }

    /// <summary>Whether writes should be refused: <see cref="OperatingMode.ReadOnly"/> or <see cref="OperatingMode.Maintenance"/>.</summary>
    public bool IsReadOnly => Mode != OperatingMode.Normal;

    /// <summary>Compares two statuses.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when mode, end and message are equal.</returns>
    public static bool operator ==(ModeStatus left, ModeStatus right) => left.Equals(right);

    /// <summary>Compares two statuses.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(ModeStatus left, ModeStatus right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(ModeStatus other) => Mode == other.Mode && Until == other.Until && string.Equals(Message, other.Message, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ModeStatus other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Mode, Until, Message);

    /// <inheritdoc />
    public override string ToString() => Until is { } until ? $"{Mode} until {until:O}" : Mode.ToString();
}
