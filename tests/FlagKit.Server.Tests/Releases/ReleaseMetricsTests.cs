using FlagKit.Protocol.V1;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Tests.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Releases;

/// <summary>The <c>flagkit.server.releases</c> gauge on a real server: active releases by environment and state.</summary>
public sealed class ReleaseMetricsTests
{
    private const string Env = TestFlagServer.Environment;

    [Test]
    public async Task ReleasesGauge_StartPauseAbort_CountsRunningAndPausedThenFallsToZero()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using var server = await TestFlagServer.StartAsync(configure: builder => builder.Services.AddSingleton<TimeProvider>(time));
        using var recorder = new MetricsRecorder(server.GetService<ServerMetrics>().Meter);
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag("a", 0)));
        await server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag("b", 0)));
        Assert.That(Gauge(recorder, "running"), Is.Zero, "no release yet: the series is there, at 0");

        var a = await server.Admin.StartReleaseAsync(Request("a"));
        await server.Admin.StartReleaseAsync(Request("b"));
        Assert.That((Gauge(recorder, "running"), Gauge(recorder, "paused")), Is.EqualTo((2d, 0d)));

        await server.Admin.PauseReleaseAsync(new ReleaseControlRequest { Environment = Env, Id = a.Id });
        Assert.That((Gauge(recorder, "running"), Gauge(recorder, "paused")), Is.EqualTo((1d, 1d)));

        await server.Admin.AbortReleaseAsync(new ReleaseControlRequest { Environment = Env, Id = a.Id });
        Assert.That((Gauge(recorder, "running"), Gauge(recorder, "paused")), Is.EqualTo((1d, 0d)), "an ended release leaves the gauge");
    }

    private static double? Gauge(MetricsRecorder recorder, string state) =>
        recorder.Observe("flagkit.server.releases", (ServerMetrics.EnvironmentTag, Env), (ServerMetrics.ReleaseStateTag, state));

    private static ReleaseStartRequest Request(string flag)
    {
        var request = new ReleaseStartRequest { Environment = Env, Flag = flag, Treatment = "on", Control = "off", HoldMs = 60_000, IntervalMs = 10_000 };
        request.Steps.AddRange([1, 5, 25, 50, 100]);
        return request;
    }
}
