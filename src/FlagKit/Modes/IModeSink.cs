namespace FlagKit.Modes;

/// <summary>Where a source delivers an environment's operating modes: the client's current-modes cell.</summary>
internal interface IModeSink
{
    /// <summary>The modes served now (<see cref="ModeTable.Empty"/> before any arrive).</summary>
    ModeTable CurrentModes { get; }

    /// <summary>Atomically makes <paramref name="next"/> the modes every query reads, and raises the mode event.</summary>
    /// <param name="next">The compiled modes.</param>
    void PublishModes(ModeTable next);
}
