using System.Text.Json;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Tests.Metrics;
using FlagKit.Server.Tests.Sync;
using FlagKit.Server.Webhooks;

namespace FlagKit.Server.Tests.Webhooks;

/// <summary>Webhooks configured like an operator does (configuration keys) on a real server, delivered to a real listener.</summary>
public sealed class WebhookServerTests
{
    private const string Secret = "whsec_server_test_0123456789";

    [Test]
    public async Task Server_WebhooksConfigured_EventsDeliveredSignedToEachAsFiltered()
    {
        await using var listener = await WebhookListener.StartAsync();
        await using var server = await TestFlagServer.StartAsync(new Dictionary<string, string?>
        {
            ["FlagKit:Server:Webhooks:Endpoints:0:Name"] = "chat",
            ["FlagKit:Server:Webhooks:Endpoints:0:Url"] = listener.Url("/chat"),
            ["FlagKit:Server:Webhooks:Endpoints:0:Secret"] = Secret,
            ["FlagKit:Server:Webhooks:Endpoints:1:Name"] = "pager",
            ["FlagKit:Server:Webhooks:Endpoints:1:Url"] = listener.Url("/pager"),
            ["FlagKit:Server:Webhooks:Endpoints:1:Secret"] = Secret + "-pager",
            ["FlagKit:Server:Webhooks:Endpoints:1:Events:0"] = "release.rolled_back",
        });
        using var recorder = new MetricsRecorder(server.GetService<ServerMetrics>().Meter);
        var dispatcher = server.GetService<WebhookDispatcher>();

        var step = dispatcher.Enqueue(WebhookEventTypes.ReleaseStep, "production", JsonDocument.Parse("""{"flag":"checkout-v2","percent":25}""").RootElement);
        var rollback = dispatcher.Enqueue(WebhookEventTypes.ReleaseRolledBack, "production", JsonDocument.Parse("""{"flag":"checkout-v2","reason":"5xx 2.4 % vs 0.9 %"}""").RootElement);

        await SyncWait.UntilAsync(() => listener.Requests.Count == 3, "two events to chat, one to pager");
        var chat = listener.Requests.Where(r => r.Path == "/chat").ToList();
        var pager = listener.Requests.Single(r => r.Path == "/pager");
        Assert.That(chat.Select(r => r.Header(WebhookSignature.EventIdHeader)), Is.EqualTo(new[] { step, rollback }));
        Assert.That(pager.Header(WebhookSignature.EventIdHeader), Is.EqualTo(rollback));
        Assert.That(chat.All(r => WebhookSignature.Verify(Secret, r.Header(WebhookSignature.TimestampHeader), r.Body, r.Header(WebhookSignature.Header))), Is.True);
        Assert.That(WebhookSignature.Verify(Secret + "-pager", pager.Header(WebhookSignature.TimestampHeader), pager.Body, pager.Header(WebhookSignature.Header)), Is.True, "each endpoint its own secret");
        await SyncWait.UntilAsync(() => recorder.Sum("flagkit.server.webhook.events", (ServerMetrics.WebhookOutcomeTag, "delivered")) == 3, "the deliveries are counted");
    }

    [TestCase("Endpoints:0:Url", "ftp://example.org/x", "Webhooks:Endpoints:0:Url")]
    [TestCase("Endpoints:0:Secret", "short", "Webhooks:Endpoints:0:Secret")]
    [TestCase("Endpoints:0:Events:0", "release.exploded", "Webhooks:Endpoints:0:Events:0")]
    [TestCase("QueueCapacity", "0", "Webhooks:QueueCapacity")]
    [TestCase("MaxAttempts", "0", "Webhooks:MaxAttempts")]
    [TestCase("MaxRetryDelay", "00:00:00.5", "Webhooks:MaxRetryDelay")]
    public void Server_InvalidWebhookSetting_RefusedNamingTheSetting(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>
        {
            ["FlagKit:Server:Webhooks:Endpoints:0:Url"] = "https://hooks.example.org/flagkit",
            ["FlagKit:Server:Webhooks:Endpoints:0:Secret"] = Secret,
            ["FlagKit:Server:Webhooks:" + key] = value,
        };

        var error = Assert.ThrowsAsync<InvalidOperationException>(async () => await TestFlagServer.StartAsync(settings));

        Assert.That(error!.Message, Does.Contain("FlagKit:Server:" + named));
    }
}
