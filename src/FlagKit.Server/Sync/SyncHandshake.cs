namespace FlagKit.Server.Sync;

/// <summary>What a Sync stream's Hello was accepted as.</summary>
/// <param name="Hub">The environment's hub.</param>
/// <param name="Environment">The environment the stream reads.</param>
/// <param name="Protocol">The protocol version chosen.</param>
/// <param name="Schema">The flag schema version chosen.</param>
internal sealed record SyncHandshake(EnvironmentHub Hub, string Environment, int Protocol, int Schema);
