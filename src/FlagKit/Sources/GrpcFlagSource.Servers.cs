namespace FlagKit.Sources;

/// <summary>Several addresses of one service (<see cref="GrpcFlagSourceOptions.ServerUrls"/>): moving to another replica.</summary>
public sealed partial class GrpcFlagSource
{
    private readonly GrpcServerRotation _servers;

    /// <summary>The address the source uses now (it moves when it leaves a server).</summary>
    internal Uri CurrentServerUrl => _serverUrl;

    /// <summary>
    /// After a session ended other than by a resync the server asked for (that server is healthy), the next attempt goes
    /// to the next address, on a new channel. The revision held is kept: the next replica resumes from it.
    /// </summary>
    /// <returns>True when the source moved (the channel is new).</returns>
    private bool MoveToNextServer(GrpcSessionOutcome outcome)
    {
        if (!_servers.CanMove || outcome.Kind == GrpcSessionOutcomeKind.Resync)
        {
            return false;
        }

        var from = _serverUrl;
        _serverUrl = _servers.Next();
        _channel.MoveTo(_serverUrl);
        Diagnostics.ServerMoves++;
        GrpcFlagSourceLog.MovedServer(_log, from, _serverUrl, outcome.Describe());
        return true;
    }
}
