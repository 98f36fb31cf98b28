using FlagKit.Server.Sync;
using Microsoft.Extensions.Logging;

namespace FlagKit.Server.Diagnostics;

/// <summary>
/// The log lines of the server (source-generated, no allocation when disabled), each with its id from
/// <see cref="ServerLogEvents"/>. Callers pass untrusted text through <c>UntrustedText.ForLog</c> first.
/// </summary>
internal static partial class ServerLog
{
    // Auth.
    [LoggerMessage(ServerLogEvents.CallRefusedUnknownKey, LogLevel.Warning, "Refused {Method} from {Peer}: unknown or revoked API key", EventName = nameof(ServerLogEvents.CallRefusedUnknownKey))]
    public static partial void CallRefusedUnknownKey(ILogger logger, string method, string peer);

    [LoggerMessage(ServerLogEvents.CallRefusedNotAdmin, LogLevel.Warning, "Refused {Method} for key {KeyId}: not an admin key", EventName = nameof(ServerLogEvents.CallRefusedNotAdmin))]
    public static partial void CallRefusedNotAdmin(ILogger logger, string method, string keyId);

    // Hosting.
    [LoggerMessage(ServerLogEvents.CleartextOnNetwork, LogLevel.Warning, "INSECURE: the admin API and the sync stream serve cleartext (h2c) on {Host}, a non-loopback address: API keys and flags travel unencrypted. Set {Section}:CertificatePath to serve TLS ({Section}:{Option} is set).", EventName = nameof(ServerLogEvents.CleartextOnNetwork))]
    public static partial void CleartextOnNetwork(ILogger logger, string host, string section, string option);

    [LoggerMessage(ServerLogEvents.BootstrapSdkKeyStored, LogLevel.Information, "Stored the configured SDK key for '{Environment}'", EventName = nameof(ServerLogEvents.BootstrapSdkKeyStored))]
    public static partial void BootstrapSdkKeyStored(ILogger logger, string environment);

    [LoggerMessage(ServerLogEvents.BootstrapAdminKeyStored, LogLevel.Information, "Stored the configured admin key", EventName = nameof(ServerLogEvents.BootstrapAdminKeyStored))]
    public static partial void BootstrapAdminKeyStored(ILogger logger);

    // Sync.
    [LoggerMessage(ServerLogEvents.StreamOpened, LogLevel.Information, "Stream {StreamId}: instance {InstanceId} ({App} {AppVersion}, {Sdk} {SdkVersion}) on '{Environment}' from {Peer} at revision {LastRevision}: {Batch} to {Revision}", EventName = nameof(ServerLogEvents.StreamOpened))]
    public static partial void StreamOpened(
        ILogger logger, long streamId, string instanceId, string app, string appVersion, string sdk, string sdkVersion, string environment, string peer, long lastRevision, string batch, long revision);

    [LoggerMessage(ServerLogEvents.StreamResync, LogLevel.Warning, "Stream {StreamId}: told to resync ({Reason})", EventName = nameof(ServerLogEvents.StreamResync))]
    public static partial void StreamResync(ILogger logger, long streamId, string reason);

    [LoggerMessage(ServerLogEvents.StreamRevoked, LogLevel.Information, "Stream {StreamId}: ended, its API key was revoked", EventName = nameof(ServerLogEvents.StreamRevoked))]
    public static partial void StreamRevoked(ILogger logger, long streamId);

    [LoggerMessage(ServerLogEvents.StreamClientGone, LogLevel.Debug, "Stream {StreamId}: the client went away", EventName = nameof(ServerLogEvents.StreamClientGone))]
    public static partial void StreamClientGone(ILogger logger, long streamId);

    [LoggerMessage(ServerLogEvents.StreamMessageRefused, LogLevel.Warning, "Stream {StreamId}: refused a message: {Problem}", EventName = nameof(ServerLogEvents.StreamMessageRefused))]
    public static partial void StreamMessageRefused(ILogger logger, long streamId, string problem);

    [LoggerMessage(ServerLogEvents.StreamAborted, LogLevel.Warning, "Stream {StreamId}: did not end within {Timeout} after it was ended ({Reason}); aborting", EventName = nameof(ServerLogEvents.StreamAborted))]
    public static partial void StreamAborted(ILogger logger, long streamId, TimeSpan timeout, SubscriberEnd reason);

    [LoggerMessage(ServerLogEvents.HeartbeatStopped, LogLevel.Debug, "Heartbeat loop stopped", EventName = nameof(ServerLogEvents.HeartbeatStopped))]
    public static partial void HeartbeatStopped(ILogger logger);

    // Web console.
    [LoggerMessage(ServerLogEvents.ConsoleAntiforgeryRefused, LogLevel.Warning, "Console {Method} {Path} refused: missing or invalid antiforgery token", EventName = nameof(ServerLogEvents.ConsoleAntiforgeryRefused))]
    public static partial void ConsoleAntiforgeryRefused(ILogger logger, string method, string? path);

    [LoggerMessage(ServerLogEvents.ConsoleSignedOut, LogLevel.Information, "Console sign-out: key {KeyId}", EventName = nameof(ServerLogEvents.ConsoleSignedOut))]
    public static partial void ConsoleSignedOut(ILogger logger, string keyId);

    [LoggerMessage(ServerLogEvents.ConsoleSignInUnknownKey, LogLevel.Warning, "Console sign-in refused from {Peer}: unknown or revoked API key", EventName = nameof(ServerLogEvents.ConsoleSignInUnknownKey))]
    public static partial void ConsoleSignInUnknownKey(ILogger logger, string peer);

    [LoggerMessage(ServerLogEvents.ConsoleSignInSdkKey, LogLevel.Warning, "Console sign-in refused from {Peer}: key {KeyId} is an SDK key", EventName = nameof(ServerLogEvents.ConsoleSignInSdkKey))]
    public static partial void ConsoleSignInSdkKey(ILogger logger, string peer, string keyId);

    [LoggerMessage(ServerLogEvents.ConsoleSignedIn, LogLevel.Information, "Console sign-in: key {KeyId} ({Role}) from {Peer}", EventName = nameof(ServerLogEvents.ConsoleSignedIn))]
    public static partial void ConsoleSignedIn(ILogger logger, string keyId, string role, string peer);

    // Writes.
    [LoggerMessage(ServerLogEvents.EnvironmentNoLongerCompiles, LogLevel.Error, "Environment '{Environment}' at revision {Revision} no longer compiles: {Problem}", EventName = nameof(ServerLogEvents.EnvironmentNoLongerCompiles))]
    public static partial void EnvironmentNoLongerCompiles(ILogger logger, string environment, long revision, string problem);

    [LoggerMessage(ServerLogEvents.EnvironmentLoaded, LogLevel.Information, "Environment '{Environment}' at revision {Revision}: {Flags} flags, {Segments} segments", EventName = nameof(ServerLogEvents.EnvironmentLoaded))]
    public static partial void EnvironmentLoaded(ILogger logger, string environment, long revision, int flags, int segments);

    [LoggerMessage(ServerLogEvents.EnvironmentCreated, LogLevel.Information, "Environment '{Environment}' created by {Actor}", EventName = nameof(ServerLogEvents.EnvironmentCreated))]
    public static partial void EnvironmentCreated(ILogger logger, string environment, string actor);

    [LoggerMessage(ServerLogEvents.WriteRaced, LogLevel.Debug, "'{Environment}' moved past revision {Revision} while {Action} was prepared; preparing again", EventName = nameof(ServerLogEvents.WriteRaced))]
    public static partial void WriteRaced(ILogger logger, string environment, long revision, string action);

    [LoggerMessage(ServerLogEvents.CommitFailed, LogLevel.Error, "Commit of revision {Revision} of '{Environment}' failed", EventName = nameof(ServerLogEvents.CommitFailed))]
    public static partial void CommitFailed(ILogger logger, long revision, string environment, Exception exception);

    [LoggerMessage(ServerLogEvents.WriteCommitted, LogLevel.Information, "'{Environment}' revision {Revision} by {Actor}: {Action} {Target} ({Changes} changes)", EventName = nameof(ServerLogEvents.WriteCommitted))]
    public static partial void WriteCommitted(ILogger logger, string environment, long revision, string actor, string action, string target, int changes);
}
