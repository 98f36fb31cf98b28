using System.Collections.Concurrent;
using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>
/// The server as a real process, killed with SIGKILL in the middle of a burst of concurrent writes, then started
/// again on the same SQLite file: every write the server acknowledged is there, with its history row and its audit
/// row, revisions have no gaps, the file passes SQLite's integrity check, and connected SDKs converge.
/// </summary>
[TestFixture]
public sealed class ServerCrashTests
{
    private const int Writers = 4;
    private const int KillAfterAcks = 40;

    [Test]
    public async Task KilledDuringWriteBurst_Restarted_EveryAcknowledgedWriteHistoryAndAuditSurvive()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        var clients = new List<SdkClient>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                clients.Add(await SdkClient.StartAsync(SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment)));
            }

            await Wait.UntilAsync(() => clients.All(c => c.Client.Status == FlagClientStatus.Ready), "the SDK clients are ready");

            // The burst: writers put distinct flags as fast as the server answers; each answer is an acknowledgement.
            var acked = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
            int attempted = 0;
            using var stopWriters = new CancellationTokenSource();
            Task[] writers = [.. Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (int i = 0; !stopWriters.IsCancellationRequested; i++)
                {
                    string key = $"burst-{w}-{i:D4}";
                    Interlocked.Increment(ref attempted);
                    try
                    {
                        WriteResponse response = await server.Admin.PutDocumentAsync(new PutDocumentRequest
                        {
                            Environment = TestFlagServer.Environment,
                            Kind = DocumentKind.Flag,
                            Json = ByteString.CopyFromUtf8($$"""{ "key": "{{key}}", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
                            Options = new FlagKit.Protocol.V1.WriteOptions { IdempotencyKey = key, Comment = "burst" },
                        });
                        acked[key] = response.Revision;
                    }
                    catch (RpcException)
                    {
                        // The server died under this write: not acknowledged, so it may or may not be there.
                        return;
                    }
                }
            }))];

            await Wait.UntilAsync(() => acked.Count >= KillAfterAcks, () => $"{KillAfterAcks} writes are acknowledged ({acked.Count} so far)");
            server.Kill();
            await Task.WhenAll(writers).WithDeadline("the writers to see the server gone");
            int ackedCount = acked.Count;

            TimeSpan startTook = await server.StartAgainAsync();

            // Every acknowledged write is live, at (or, for a later write, after) the revision it was acknowledged at.
            ListFlagsResponse flags = await server.Admin.ListFlagsAsync(new ListFlagsRequest { Environment = TestFlagServer.Environment });
            var live = flags.Flags.ToDictionary(f => f.Key, f => f.Revision, StringComparer.Ordinal);
            Assert.Multiple(() =>
            {
                foreach ((string key, long revision) in acked)
                {
                    Assert.That(live.TryGetValue(key, out long at) ? at : -1, Is.EqualTo(revision), $"acknowledged write '{key}' at revision {revision}");
                }
            });
            long current = flags.EnvironmentRevision;
            Assert.That(current, Is.GreaterThanOrEqualTo(acked.Values.Max()));

            // History: one row per revision, no gaps, and one for every burst flag that is live (acknowledged or not).
            var history = new List<HistoryEntry>();
            long before = 0;
            while (true)
            {
                GetHistoryResponse page = await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment, Limit = 1000, BeforeRevision = before });
                history.AddRange(page.Entries);
                if (page.Entries.Count == 0 || page.Entries.Min(e => e.Revision) <= 1)
                {
                    break;
                }

                before = page.Entries.Min(e => e.Revision);
            }

            var historyByKey = history.Where(h => h.Key.StartsWith("burst-", StringComparison.Ordinal)).ToDictionary(h => h.Key, h => h.Revision, StringComparer.Ordinal);
            Assert.Multiple(() =>
            {
                foreach (string key in live.Keys.Where(k => k.StartsWith("burst-", StringComparison.Ordinal)))
                {
                    Assert.That(historyByKey.TryGetValue(key, out long r) ? r : -1, Is.EqualTo(live[key]), $"history of '{key}'");
                }
            });
            long[] revisions = [.. history.Select(h => h.Revision).Distinct().Order()];
            Assert.That(revisions, Is.EqualTo(Enumerable.Range(1, (int)current).Select(r => (long)r)), "every revision 1..current has its history");

            // Audit: an entry for every acknowledged revision.
            GetAuditResponse audit = await server.Admin.GetAuditAsync(new GetAuditRequest { Environment = TestFlagServer.Environment, Limit = 1000 });
            var audited = audit.Entries.Select(a => a.Revision).ToHashSet();
            Assert.That(acked.Values.Where(r => !audited.Contains(r)), Is.Empty, "acknowledged revisions without an audit entry");

            // The file itself is sound.
            Assert.That(IntegrityCheck(server.DataPath), Is.EqualTo("ok"));

            // And the SDKs that were connected come back to the server's revision, holding every acknowledged flag.
            await Wait.UntilAsync(() => clients.All(c => c.Client.Snapshot.Revision == current), () => $"every SDK converges to revision {current} (at {string.Join(", ", clients.Select(c => c.Client.Snapshot.Revision))})", TimeSpan.FromSeconds(60));
            foreach (SdkClient client in clients)
            {
                Assert.That(acked.Keys.Where(k => !client.Client.Snapshot.ContainsFlag(k)), Is.Empty);
            }

            TestContext.Out.WriteLine($"killed after {ackedCount} acknowledged of {attempted} attempted writes ({Writers} writers); restart took {startTook.TotalSeconds:F1} s; revision {current}; all acknowledged writes, history ({history.Count} rows) and audit intact; integrity_check ok; 3 SDKs converged");
        }
        finally
        {
            foreach (SdkClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static string IntegrityCheck(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        var result = new StringBuilder();
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            result.Append(reader.GetString(0));
        }

        return result.ToString();
    }
}
