namespace FlagKit.Server.Releases;

/// <summary>
/// Told of every step, pause, rollback and completion of a release, after it is stored (and after its write, when it
/// made one). Every registered notifier is called; one that throws or is slow never holds the release up: the runner
/// calls notifiers after the release's own work, logs their failures and goes on.
/// </summary>
internal interface IReleaseNotifier
{
    /// <summary>Delivers one notification.</summary>
    /// <param name="notification">What happened.</param>
    /// <param name="cancellationToken">Cancelled when the server stops.</param>
    /// <returns>Completes when delivered (or handed off).</returns>
    Task NotifyAsync(ReleaseNotification notification, CancellationToken cancellationToken);
}
