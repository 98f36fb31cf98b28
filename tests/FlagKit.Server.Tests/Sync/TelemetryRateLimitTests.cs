using System.Collections.Concurrent;
using FlagKit.Protocol.V1;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Releases;
using FlagKit.Server.Sync;
using FlagKit.Server.Tests.Metrics;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace FlagKit.Server.Tests.Sync;

/// <summary>
/// The per-stream rate limit on SDK telemetry summaries, on a real server over real gRPC (the server's clock faked, so
/// the allowance is exact): excess summaries are dropped before they are parsed, counted on the meter and logged once;
/// a stream that keeps going over is ended naming the limit; another stream is not affected; a stream at the limit's
/// pace loses nothing.
/// </summary>
public sealed class TelemetryRateLimitTests
{
    private const string Env = TestFlagServer.Environment;
    private const string Flag = "checkout-v2";

    // A SyncRequest whose field 3 (telemetry) holds bytes that are no TelemetrySummary: parsing it fails the stream with
    // INVALID_ARGUMENT, so a stream that goes on after it proves it was never parsed.
    private static readonly byte[] Unparsable = [SyncRequestFrame.TelemetryTag, 3, 0xFF, 0xFF, 0xFF];

    private static readonly Method<byte[], SyncResponse> RawSync = new(
        MethodType.DuplexStreaming, FlagSync.Descriptor.FullName, "Sync",
        Marshallers.Create(static (byte[] b) => b, static b => b),
        Marshallers.Create(static (SyncResponse r) => r.ToByteArray(), SyncResponse.Parser.ParseFrom));

    private FakeTimeProvider _time = null!;
    private LogCapture _log = null!;
    private TestFlagServer _server = null!;
    private MetricsRecorder _metrics = null!;
    private ReleaseReportInbox _inbox = null!;
    private long _revision;
    private long _acks;

    [SetUp]
    public async Task SetUp()
    {
        // New per test: NUnit runs every test of a fixture on one instance.
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 20, 0, 0, TimeSpan.Zero));
        _log = new LogCapture();
        _acks = 0;
        _server = await TestFlagServer.StartAsync(configure: builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(_time);
            builder.Logging.AddProvider(_log);
        });
        _metrics = new MetricsRecorder(_server.GetService<ServerMetrics>().Meter);
        _revision = (await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag(Flag, on: true)))).Revision;
        _inbox = _server.GetService<ReleaseReportInbox>();
        _inbox.Watch(Env, Flag);
    }

    [TearDown]
    public async Task TearDown()
    {
        _metrics.Dispose();
        await _server.DisposeAsync();
        _log.Dispose();
    }

    [Test]
    public async Task Flood_OverTheBurst_ExcessDroppedUnparsedCountedAndLoggedOnce()
    {
        using var call = await OpenAsync("flooder");

        for (var i = 0; i < TelemetryIngest.Burst; i++)
        {
            await call.RequestStream.WriteAsync(Summary(exposures: 1));
        }

        for (var i = 0; i < 10; i++)
        {
            await call.RequestStream.WriteAsync(Unparsable);
        }

        await AckedAsync(call, "flooder");

        var ingest = _server.GetService<TelemetryIngest>();
        Assert.That(Exposures(), Is.EqualTo(TelemetryIngest.Burst), "the burst is taken, every summary of it");
        Assert.That((ingest.Summaries, ingest.RateLimited), Is.EqualTo(((long)TelemetryIngest.Burst, 10L)));
        Assert.That(_metrics.Sum("flagkit.server.telemetry.dropped", (ServerMetrics.EnvironmentTag, Env), (TelemetryIngest.DropReasonTag, "rate_limited")), Is.EqualTo(10));
        var logged = _log.Events.Where(e => e.Id == ServerLogEvents.TelemetryRateLimited).ToList();
        Assert.That(logged, Has.Count.EqualTo(1), "logged once per stream, not once per drop");
        Assert.That(logged[0].Message, Does.Contain("flooder").And.Contain($"'{Env}'").And.Contain(TelemetryIngest.LimitText));
    }

    [Test]
    public async Task Flood_KeepsGoing_StreamEndedNamingTheLimitWhileAnotherStreamGoesOn()
    {
        using var flooder = await OpenAsync("flooder");
        using var neighbour = await OpenAsync("neighbour");

        for (var i = 0; i < TelemetryIngest.Burst + TelemetryIngest.EndAfterDropped; i++)
        {
            await flooder.RequestStream.WriteAsync(Summary(exposures: 1));
        }

        var ended = await EndStatusAsync(flooder);
        await neighbour.RequestStream.WriteAsync(Summary(exposures: 1000));
        await AckedAsync(neighbour, "neighbour");

        Assert.That(ended.StatusCode, Is.EqualTo(StatusCode.InvalidArgument), ended.ToString);
        Assert.That(ended.Status.Detail, Does.StartWith("TelemetrySummary rate limit: instance 'flooder'")
            .And.Contain(TelemetryIngest.LimitText).And.Contain($"{TelemetryIngest.EndAfterDropped} were dropped unread"));
        Assert.That(TelemetryIngest.LimitText, Does.Contain("4 summaries per 500 ms").And.Contain("bursts of 24"));
        Assert.That(Exposures(), Is.EqualTo(TelemetryIngest.Burst + 1000), "the flooder's burst and the neighbour's summary");
        Assert.That(_server.GetService<TelemetryIngest>().RateLimited, Is.EqualTo(TelemetryIngest.EndAfterDropped));
    }

    [Test]
    public async Task Pace_OneIntervalPerHalfInterval_NothingDroppedAndOneMoreIsOver()
    {
        using var call = await OpenAsync("steady");
        for (var i = 0; i < TelemetryIngest.Burst; i++)
        {
            await call.RequestStream.WriteAsync(Summary(exposures: 1));
        }

        await AckedAsync(call, "steady");
        for (var round = 0; round < 10; round++)
        {
            _time.Advance(TelemetryIngest.MinInterval / 2);
            for (var i = 0; i < TelemetryIngest.SummariesPerInterval; i++)
            {
                await call.RequestStream.WriteAsync(Summary(exposures: 1));
            }

            await AckedAsync(call, "steady");
        }

        var ingest = _server.GetService<TelemetryIngest>();
        Assert.That((Exposures(), ingest.RateLimited), Is.EqualTo((TelemetryIngest.Burst + (10 * TelemetryIngest.SummariesPerInterval), 0L)));

        await call.RequestStream.WriteAsync(Summary(exposures: 1));
        await AckedAsync(call, "steady");

        Assert.That(ingest.RateLimited, Is.EqualTo(1), "the bucket was empty: one more is over");
    }

    [Test]
    public async Task NotNegotiated_StraySummaries_DroppedUnparsedAndTheStreamGoesOn()
    {
        using var call = await OpenAsync("old-sdk", telemetry: false);

        await call.RequestStream.WriteAsync(Summary(exposures: 1));
        await call.RequestStream.WriteAsync(Unparsable);
        await AckedAsync(call, "old-sdk");

        Assert.That(_server.GetService<TelemetryIngest>().Ignored, Is.EqualTo(2));
        Assert.That(_metrics.Sum("flagkit.server.telemetry.dropped", (TelemetryIngest.DropReasonTag, "not_negotiated")), Is.EqualTo(2));
        Assert.That(Exposures(), Is.Zero);
    }

    [Test]
    public void RateLimit_DropsSpreadOut_ForgivenAndNeverEnded()
    {
        var time = new FakeTimeProvider();
        var limit = new TelemetryRateLimit(time, perSecond: 8, burst: 24, endAfter: 24, forgivenPerSecond: 1);
        var admissions = new List<TelemetryAdmission>();

        // Twice the allowance for a minute: 16 a second, half of them over; a drop forgiven each second cannot keep up.
        for (var tick = 0; tick < 600 && !admissions.Contains(TelemetryAdmission.Exceeded); tick++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            admissions.Add(limit.Take());
            admissions.Add(limit.Take());
        }

        var spread = new TelemetryRateLimit(time, perSecond: 8, burst: 24, endAfter: 24, forgivenPerSecond: 1);
        var spreadAdmissions = new List<TelemetryAdmission>();
        for (var i = 0; i < 24; i++)
        {
            spreadAdmissions.Add(spread.Take());
        }

        // Then one over every two seconds for ten minutes: each drop is forgiven before the next.
        for (var i = 0; i < 300; i++)
        {
            spreadAdmissions.Add(spread.Take());
            time.Advance(TimeSpan.FromSeconds(2));
            for (var k = 0; k < 16; k++)
            {
                spreadAdmissions.Add(spread.Take());
            }
        }

        Assert.That(admissions[^1], Is.EqualTo(TelemetryAdmission.Exceeded), "a stream at twice the allowance is ended");
        Assert.That(admissions, Has.Count.LessThan(200), "within seconds");
        Assert.That(spreadAdmissions, Has.None.EqualTo(TelemetryAdmission.Exceeded));
        Assert.That(spread.Dropped, Is.GreaterThan(0));
    }

    private async Task<AsyncDuplexStreamingCall<byte[], SyncResponse>> OpenAsync(string instance, bool telemetry = true)
    {
        var call = _server.CallInvoker(TestFlagServer.SdkKey).AsyncDuplexStreamingCall(RawSync, null, new CallOptions());
        var hello = new Hello
        {
            SdkName = "raw", SdkVersion = "1.0.0", InstanceId = instance, Environment = Env, ProtocolVersions = { 1 }, SchemaVersions = { 1 },
        };
        if (telemetry)
        {
            hello.TelemetryVersions.Add(TelemetryIngest.Version);
        }

        await call.RequestStream.WriteAsync(new SyncRequest { Hello = hello }.ToByteArray());
        using var deadline = new CancellationTokenSource(SyncWait.Deadline);
        while (await call.ResponseStream.MoveNext(deadline.Token))
        {
            if (call.ResponseStream.Current.KindCase == SyncResponse.KindOneofCase.Welcome)
            {
                Assert.That(call.ResponseStream.Current.Welcome.TelemetryVersion, Is.EqualTo(telemetry ? TelemetryIngest.Version : 0));
            }

            if (call.ResponseStream.Current.KindCase == SyncResponse.KindOneofCase.Transferred)
            {
                return call;
            }
        }

        Assert.Fail("the stream ended before its first batch");
        return call;
    }

    /// <summary>
    /// Sends an Ack with a revision of its own and waits until the server recorded it: everything the stream sent before
    /// it was read, and the stream is still open.
    /// </summary>
    private async Task AckedAsync(AsyncDuplexStreamingCall<byte[], SyncResponse> call, string instance)
    {
        var marker = _revision + Interlocked.Increment(ref _acks);
        await call.RequestStream.WriteAsync(new SyncRequest { Ack = new Ack { Revision = marker } }.ToByteArray());
        await SyncWait.UntilAsync(
            () => _server.Admin.ListInstances(new ListInstancesRequest { Environment = Env }).Instances.Any(i => i.InstanceId == instance && i.AckedRevision == marker),
            $"'{instance}' acked {marker}");
    }

    private static async Task<RpcException> EndStatusAsync(AsyncDuplexStreamingCall<byte[], SyncResponse> call)
    {
        using var deadline = new CancellationTokenSource(SyncWait.Deadline);
        try
        {
            while (await call.ResponseStream.MoveNext(deadline.Token))
            {
            }
        }
        catch (RpcException e)
        {
            return e;
        }

        Assert.Fail("the stream ended without a status");
        throw new InvalidOperationException();
    }

    private static byte[] Summary(long exposures) => new SyncRequest
    {
        Telemetry = new TelemetrySummary
        {
            IntervalMs = 1000,
            Variants = { new TelemetryVariant { Flag = Flag, Variant = "on", Exposures = exposures, Latency = new TelemetryHistogram { LayoutVersion = 1 } } },
        },
    }.ToByteArray();

    private long Exposures() => _inbox.Take(Env, Flag).Sum(r => r.Exposures);

    private sealed class LogCapture : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<(int Id, string Message)> Events { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Events.Enqueue((eventId.Id, formatter(state, exception)));

        public void Dispose()
        {
        }
    }
}
