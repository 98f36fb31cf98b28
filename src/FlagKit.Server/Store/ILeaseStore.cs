namespace FlagKit.Server.Store;

/// <summary>
/// Named leases: work that must run once across replicas (scheduled changes, release steps, webhooks) is done only by
/// the holder of its lease. A lease is held until it expires; its holder renews it by acquiring it again before then.
/// A holder that dies stops renewing, and once the lease expires another replica acquires it.
/// </summary>
/// <remarks>
/// Expiry is judged with the callers' clocks (the <c>now</c> each passes): keep replicas' clocks in sync (NTP) and the
/// time-to-live well above their skew. A holder must stop the work when a renewal fails or the lease is past its
/// <see cref="LeaseGrant.ExpiresAt"/>; effects written to the database can be fenced with <see cref="LeaseGrant.Token"/>.
/// </remarks>
internal interface ILeaseStore
{
    /// <summary>
    /// Takes the lease when it is free, expired, or already held by <paramref name="holder"/> (a renewal: the expiry
    /// moves to <paramref name="now"/> + <paramref name="ttl"/>, the token stays).
    /// </summary>
    /// <param name="name">The lease (one per kind of once-only work, e.g. <c>scheduler</c>).</param>
    /// <param name="holder">Who takes it (a replica's id, unique per process).</param>
    /// <param name="ttl">How long it is held without renewal.</param>
    /// <param name="now">The caller's clock.</param>
    /// <returns>The grant, or null when another holder has it and it has not expired.</returns>
    LeaseGrant? TryAcquireLease(string name, string holder, TimeSpan ttl, DateTimeOffset now);

    /// <summary>Gives a held lease back at once (another replica may take it without waiting for the expiry).</summary>
    /// <param name="name">The lease.</param>
    /// <param name="holder">The holder giving it back.</param>
    /// <returns>True when <paramref name="holder"/> held it.</returns>
    bool ReleaseLease(string name, string holder);
}

/// <summary>A held lease.</summary>
/// <param name="Name">The lease.</param>
/// <param name="Holder">Its holder.</param>
/// <param name="Token">Rises by one each time the lease changes holder (a fencing token: a write carrying an older token comes from a former holder).</param>
/// <param name="ExpiresAt">When it expires unless renewed.</param>
internal sealed record LeaseGrant(string Name, string Holder, long Token, DateTimeOffset ExpiresAt);
