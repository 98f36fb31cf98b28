using FlagKit.Protocol.V1;
using FlagKit.Sources;
using Microsoft.Extensions.Logging;

namespace FlagKit.Modes;

/// <summary>
/// Applies a <see cref="ModeState"/> from the sync stream: compiled with the SDK's own validator and swapped in whole,
/// or refused (logged, the last good modes serve on). Never throws for a bad document.
/// </summary>
internal static class ModeReceiver
{
    /// <summary>The mode document schemas this SDK offers in Hello.</summary>
    public static readonly int[] SchemaVersions = [ModeCompiler.CurrentSchema];

    /// <summary>Applies the modes a server sent.</summary>
    /// <param name="sink">The client's sink.</param>
    /// <param name="state">What arrived.</param>
    /// <param name="atWelcome">True for the modes in Welcome: taken whatever their version (the server's current state).</param>
    /// <param name="logger">Where a refusal is logged.</param>
    /// <returns>True when the modes were applied.</returns>
    public static bool Apply(FlagSnapshotSink sink, ModeState state, bool atWelcome, ILogger logger)
    {
        var current = sink.CurrentModes;
        if (!atWelcome && state.Version <= current.Version)
        {
            return false;
        }

        if (atWelcome && state.Version == current.Version)
        {
            // Reconnected to modes we hold already (or none on either side): nothing to apply, no event.
            return false;
        }

        try
        {
            sink.PublishModes(ModeCompiler.Compile(state.Json.Span, state.Version));
            return true;
        }
        catch (FlagValidationException e)
        {
            ModeLog.ModesRefused(logger, state.Version, current.Version, e.Message);
            return false;
        }
    }
}
