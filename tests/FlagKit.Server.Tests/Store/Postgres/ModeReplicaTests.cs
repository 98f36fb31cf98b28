using FlagKit.Protocol.V1;
using FlagKit.Server.Tests.Sync;
using Npgsql;

namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>
/// Operating modes across replicas: two real servers on one real PostgreSQL database. A mode switched on one replica
/// reaches the SDKs of the other (through NOTIFY, and through the poll when the hint is lost), and the other replica
/// answers and writes against it.
/// </summary>
public sealed class ModeReplicaTests
{
    private const string Env = TestFlagServer.Environment;
    private static readonly EvaluationContext Eu = new() { Region = "eu" };
    private static readonly EvaluationContext Us = new() { Region = "us" };

    [Test]
    public async Task ReadOnly_SwitchedOnA_SdkOnBRefusesWritesAndBWritesAgainstIt()
    {
        // A poll interval far beyond the wait: only the NOTIFY hint can deliver in time.
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromMinutes(5));
        await using var sdk = await ReplicaTests.StartSdkAsync(pair.B.Address);
        Assert.That(sdk.IsReadOnly(Eu), Is.False);

        var onA = await pair.A.Admin.SetModeSwitchAsync(new ModeSwitchRequest
        {
            Environment = Env, Mode = "read-only", On = true, Scope = { new ModeScopeTerm { Attribute = "region", Values = { "eu" } } }, Comment = "INC-7 failover",
        });
        await SyncWait.UntilAsync(() => sdk.IsReadOnly(Eu), "the SDK on replica B sees read-only switched on replica A");

        Assert.That(sdk.IsReadOnly(Us), Is.False);
        var onB = await pair.B.Admin.GetModesAsync(new ModeGetRequest { Environment = Env });
        Assert.That(onB.Version, Is.EqualTo(onA.Version), "B answers A's version");
        var offOnB = await pair.B.Admin.SetModeSwitchAsync(new ModeSwitchRequest
        {
            Environment = Env, Mode = "read-only", On = false, Scope = { new ModeScopeTerm { Attribute = "region", Values = { "eu" } } }, ExpectedVersion = onA.Version,
        });
        Assert.That((offOnB.Changed, offOnB.Version), Is.EqualTo((true, onA.Version + 1)), "B writes on top of A's change, not over it");
        await SyncWait.UntilAsync(() => !sdk.IsReadOnly(Eu), "the switch-off on B reaches B's SDK");
    }

    [Test]
    public async Task ModeChange_WhoseHintWasLost_LearntByTheOtherReplicaAtThePoll()
    {
        await using var pair = await ReplicaPair.StartAsync(poll: TimeSpan.FromMilliseconds(300));
        await using var sdk = await ReplicaTests.StartSdkAsync(pair.B.Address);
        await pair.A.Admin.SetModeSwitchAsync(new ModeSwitchRequest { Environment = Env, Mode = "maintenance", On = true, Comment = "upgrade" });
        await SyncWait.UntilAsync(() => sdk.GetMode(Us).Mode == OperatingMode.Maintenance, "B's SDK enters maintenance switched on A");

        // A change committed without its NOTIFY, as by a replica that died between its commit and its hint.
        await using (var admin = new NpgsqlConnection(pair.ConnectionString))
        {
            await admin.OpenAsync();
            await using var update = new NpgsqlCommand("UPDATE modes SET version = version + 1", admin);
            Assert.That(await update.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        var hub = pair.B.GetService<FlagKit.Server.Sync.HubRegistry>().GetOrAdd(Env);
        await SyncWait.UntilAsync(() => hub.Mode.Version == 2, "B's poll loads the unhinted change and hands it to its SDKs");
        var onB = await pair.B.Admin.GetModesAsync(new ModeGetRequest { Environment = Env });
        Assert.That(onB.Version, Is.EqualTo(2));
    }
}
