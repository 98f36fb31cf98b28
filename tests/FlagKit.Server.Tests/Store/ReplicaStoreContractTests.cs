using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

/// <summary>
/// What replicas need of every store, run against each implementation (<see cref="ReplicaStoreContractSqliteTests"/>,
/// <see cref="Postgres.ReplicaStoreContractPostgresTests"/>): the change feed (documents committed since a revision) and
/// leases (once-only work: held until expiry, renewed by the holder, taken over after expiry, given back).
/// </summary>
public abstract class ReplicaStoreContractTests : StoreContractFixture
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    [Test]
    public void ReadChangesSince_EachRevision_ReturnsTheDocumentsCommittedAfterIt()
    {
        var store = Open();
        var env = store.CreateEnvironment("prod", Audit(0));
        store.Commit(Batch(env.Id, 0, Doc("a", 1, 1), Doc("b", 1, 1)), T0);
        store.Commit(Batch(env.Id, 1, Doc("b", 2, 2) with { Archived = true }, Doc("c", 1, 2)), T0);

        var all = store.ReadChangesSince(env.Id, 0)!;
        var sinceOne = store.ReadChangesSince(env.Id, 1)!;
        var current = store.ReadChangesSince(env.Id, 2)!;

        Assert.That(all.Environment.Revision, Is.EqualTo(2));
        Assert.That(all.Documents.Select(d => (d.Key, d.Version, d.Archived)), Is.EquivalentTo(new[] { ("a", 1L, false), ("b", 2L, true), ("c", 1L, false) }));
        Assert.That(sinceOne.Documents.Select(d => (d.Key, d.Revision)), Is.EquivalentTo(new[] { ("b", 2L), ("c", 2L) }));
        Assert.That(current.Documents, Is.Empty);
        Assert.That(current.Environment, Is.EqualTo(env with { Revision = 2 }));
        Assert.That(store.ReadChangesSince(env.Id + 100, 0), Is.Null, "an environment that does not exist");
    }

    [Test]
    public void TryAcquireLease_Free_GrantedWithFirstTokenUntilTtl()
    {
        var store = Open();

        var grant = store.TryAcquireLease("scheduler", "replica-1", Ttl, T0);

        Assert.That(grant, Is.EqualTo(new LeaseGrant("scheduler", "replica-1", 1, T0 + Ttl)));
    }

    [Test]
    public void TryAcquireLease_HeldByAnother_RefusedUntilItExpires()
    {
        var store = Open();
        store.TryAcquireLease("scheduler", "replica-1", Ttl, T0);

        var whileHeld = store.TryAcquireLease("scheduler", "replica-2", Ttl, T0 + Ttl - TimeSpan.FromMilliseconds(1));
        var afterExpiry = store.TryAcquireLease("scheduler", "replica-2", Ttl, T0 + Ttl);

        Assert.That(whileHeld, Is.Null);
        Assert.That(afterExpiry, Is.EqualTo(new LeaseGrant("scheduler", "replica-2", 2, T0 + Ttl + Ttl)), "taken over with the next token");
        Assert.That(store.TryAcquireLease("scheduler", "replica-1", Ttl, T0 + Ttl), Is.Null, "the former holder no longer has it");
    }

    [Test]
    public void TryAcquireLease_SameHolder_RenewsAndKeepsToken()
    {
        var store = Open();
        store.TryAcquireLease("scheduler", "replica-1", Ttl, T0);

        var renewed = store.TryAcquireLease("scheduler", "replica-1", Ttl, T0 + TimeSpan.FromSeconds(8));

        Assert.That(renewed, Is.EqualTo(new LeaseGrant("scheduler", "replica-1", 1, T0 + TimeSpan.FromSeconds(18))));
        Assert.That(store.TryAcquireLease("scheduler", "replica-2", Ttl, T0 + TimeSpan.FromSeconds(12)), Is.Null, "the renewal holds past the first expiry");
    }

    [Test]
    public void ReleaseLease_ByHolder_AnotherTakesItAtOnce()
    {
        var store = Open();
        store.TryAcquireLease("scheduler", "replica-1", Ttl, T0);

        var byOther = store.ReleaseLease("scheduler", "replica-2");
        var byHolder = store.ReleaseLease("scheduler", "replica-1");
        var taken = store.TryAcquireLease("scheduler", "replica-2", Ttl, T0 + TimeSpan.FromSeconds(1));

        Assert.That((byOther, byHolder), Is.EqualTo((false, true)));
        Assert.That(taken?.Token, Is.EqualTo(2));
    }

    [Test]
    public void TryAcquireLease_TwoNames_Independent()
    {
        var store = Open();

        var scheduler = store.TryAcquireLease("scheduler", "replica-1", Ttl, T0);
        var releases = store.TryAcquireLease("releases", "replica-2", Ttl, T0);

        Assert.That((scheduler?.Holder, releases?.Holder), Is.EqualTo(("replica-1", "replica-2")));
    }

    private static CommitBatch Batch(long envId, long from, StoredDocument first, StoredDocument second)
    {
        var history = new[] { first, second }.Select(d => new HistoryRecord(
            from + 1, d.Kind, d.Key, d.Version == 1 ? "created" : d.Archived ? "archived" : "updated", "alice", "why", T0,
            null, d.Archived ? null : d.Json, $"{d.Key} changed", "put")).ToList();
        return new CommitBatch(envId, from, from + 1, [first, second], history, Audit(from + 1), null, null);
    }

    private static StoredDocument Doc(string key, long version, long revision) =>
        new(DocumentKind.Flag, key, Encoding.UTF8.GetBytes($"{{\"key\":\"{key}\",\"v\":{version}}}"), version, revision, T0, "alice", false);

    private static AuditRecord Audit(long revision) => new(0, T0, "alice", "Commit", "prod", "prod", revision, "detail");
}
