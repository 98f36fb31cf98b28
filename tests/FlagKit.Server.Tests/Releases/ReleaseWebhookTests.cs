using System.Text.Json;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests.Sync;
using FlagKit.Server.Tests.Webhooks;
using FlagKit.Server.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Releases;

/// <summary>
/// Release events reach the operator's webhooks: a real server configured with an endpoint on a real local listener;
/// the release is driven by reports posted into its inbox (as the sync stream does) and a fake clock.
/// </summary>
public sealed class ReleaseWebhookTests
{
    private const string Secret = "whsec_release_test_0123456789";
    private const string Flag = "checkout-v2";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Release_RollsBack_DeliversSignedReleaseRolledBackEventWithFigures()
    {
        await using var listener = await WebhookListener.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using var server = await TestFlagServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["FlagKit:Server:Webhooks:Endpoints:0:Name"] = "ops",
                ["FlagKit:Server:Webhooks:Endpoints:0:Url"] = listener.Url("/hooks"),
                ["FlagKit:Server:Webhooks:Endpoints:0:Secret"] = Secret,
            },
            configure: builder => builder.Services.AddSingleton<TimeProvider>(time));
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag(Flag, 0)));
        var release = await server.Admin.StartReleaseAsync(Request());
        var workload = new ReleaseWorkload(server, Flag, "on", "off", seed: 11) { TreatmentErrorRate = 0.5 }; // over the ceiling: the first interval acts

        workload.PostInterval();
        time.Advance(Interval);

        await SyncWait.UntilAsync(() => listener.Requests.Count >= 1, "the rollback's webhook");
        var received = listener.Requests.Single();
        Assert.That(WebhookSignature.Verify(Secret, received.Header(WebhookSignature.TimestampHeader), received.Body, received.Header(WebhookSignature.Header)), Is.True);
        var body = JsonDocument.Parse(received.Body).RootElement;
        Assert.That(body.GetProperty("type").GetString(), Is.EqualTo(WebhookEventTypes.ReleaseRolledBack));
        Assert.That(body.GetProperty("environment").GetString(), Is.EqualTo(TestFlagServer.Environment));
        var payload = body.GetProperty("payload");
        Assert.That(payload.GetProperty("releaseId").GetInt64(), Is.EqualTo(release.Id));
        Assert.That(payload.GetProperty("environment").GetString(), Is.EqualTo(TestFlagServer.Environment));
        Assert.That(payload.GetProperty("flag").GetString(), Is.EqualTo(Flag));
        Assert.That(payload.GetProperty("percent").GetInt32(), Is.Zero);
        Assert.That(payload.GetProperty("summary").GetString(), Does.Contain("ceiling").And.EndWith("rolled back to 0 %"));
        Assert.That(payload.GetProperty("time").GetDateTimeOffset(), Is.EqualTo(time.GetUtcNow()));
        var history = (await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment, Key = Flag, Limit = 1 })).Entries.Single();
        Assert.That(payload.GetProperty("summary").GetString(), Is.EqualTo(history.Comment), "the same words as the rollback's history entry");
    }

    private static ReleaseStartRequest Request()
    {
        var request = new ReleaseStartRequest
        {
            Environment = TestFlagServer.Environment, Flag = Flag, Treatment = "on", Control = "off", HoldMs = 60_000, IntervalMs = (long)Interval.TotalMilliseconds,
        };
        request.Steps.AddRange([1, 5, 25, 50, 100]);
        return request;
    }
}
