using FlagKit.Server.Store;

namespace FlagKit.Server.Replication;

/// <summary>
/// Runs once-only work across replicas: each replica calls <see cref="RunAsync"/> with the same lease name; the one
/// holding the lease runs the work, renewing the lease every third of its time-to-live; the others try to take it at
/// the same pace. A holder that dies stops renewing, and another replica takes over once the lease expired. A holder
/// that stops cleanly gives the lease back, so another takes over at its next try.
/// </summary>
/// <remarks>
/// <para>The work gets a token that is cancelled when the lease is lost (a renewal refused or failed, or the lease
/// past its expiry without a renewal): it must stop then. Effects written to the database can carry
/// <see cref="LeaseGrant.Token"/> to refuse a former holder's late write (fencing).</para>
/// <para>Thread safety: one <see cref="RunAsync"/> per lease name per replica.</para>
/// </remarks>
internal sealed class LeaseRunner
{
    private readonly ILeaseStore _store;
    private readonly TimeProvider _time;

    /// <summary>Creates a runner.</summary>
    /// <param name="store">Where leases are kept (the shared database).</param>
    /// <param name="time">The clock (expiries are judged with it).</param>
    /// <param name="holder">This replica's holder name: unique per process (e.g. the server id and a random suffix).</param>
    public LeaseRunner(ILeaseStore store, TimeProvider time, string holder)
    {
        _store = store;
        _time = time;
        Holder = holder;
    }

    /// <summary>This replica's holder name.</summary>
    public string Holder { get; }

    /// <summary>
    /// Until <paramref name="cancellationToken"/> is cancelled: takes or renews the lease every <paramref name="ttl"/>/3,
    /// and while it is held runs <paramref name="whileHeld"/> once per hold (started when the lease is taken, its token
    /// cancelled when the lease is lost or the runner stops). Store errors count as a lost lease; it is tried again.
    /// </summary>
    /// <param name="name">The lease name (one per kind of work).</param>
    /// <param name="ttl">How long a lease lasts without renewal (at least 3 ms; a few seconds in practice).</param>
    /// <param name="whileHeld">The work, given the grant and a token cancelled when the lease is lost.</param>
    /// <param name="cancellationToken">Stops the runner; a held lease is given back.</param>
    /// <returns>Completes when stopped.</returns>
    public async Task RunAsync(string name, TimeSpan ttl, Func<LeaseGrant, CancellationToken, Task> whileHeld, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.FromMilliseconds(3));
        CancellationTokenSource? held = null;
        Task work = Task.CompletedTask;

        // Stops the work at the lease's expiry when no renewal came in time (e.g. the store stopped answering).
        using var expiry = _time.CreateTimer(static s => ((Func<CancellationTokenSource?>)s!)()?.Cancel(), (Func<CancellationTokenSource?>)(() => held), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var grant = TryAcquire(name, ttl);
                if (grant is null && held is not null)
                {
                    await LoseAsync(held, work).ConfigureAwait(false);
                    held = null;
                }
                else if (grant is not null && held is null)
                {
                    held = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var token = held.Token;
                    work = Task.Run(() => whileHeld(grant, token), CancellationToken.None);
                }

                if (grant is not null)
                {
                    expiry.Change(Max(grant.ExpiresAt - _time.GetUtcNow(), TimeSpan.Zero), Timeout.InfiniteTimeSpan);
                }

                try
                {
                    await Task.Delay(ttl / 3, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        finally
        {
            if (held is not null)
            {
                await LoseAsync(held, work).ConfigureAwait(false);
                TryRelease(name);
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private LeaseGrant? TryAcquire(string name, TimeSpan ttl)
    {
        try
        {
            return _store.TryAcquireLease(name, Holder, ttl, _time.GetUtcNow());
        }
        catch (System.Data.Common.DbException)
        {
            // Cannot tell whether it is still ours: stop the work; another replica may take over after the expiry.
            return null;
        }
    }

    private void TryRelease(string name)
    {
        try
        {
            _store.ReleaseLease(name, Holder);
        }
        catch (System.Data.Common.DbException)
        {
            // The lease expires by itself.
        }
    }

    private static async Task LoseAsync(CancellationTokenSource held, Task work)
    {
        await held.CancelAsync().ConfigureAwait(false);
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The work stopped as asked.
        }

        held.Dispose();
    }
}
