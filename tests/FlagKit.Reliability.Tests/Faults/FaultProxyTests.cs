using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>The proxy itself, against a plain TCP server that streams bytes: every fault does what it says.</summary>
[TestFixture]
public sealed class FaultProxyTests
{
    private const int Payload = 256 * 1024;

    [TestCase(FaultKind.Drop)]
    [TestCase(FaultKind.Reset)]
    [TestCase(FaultKind.Stall)]
    public async Task ArmCut_AfterNBytes_ClientGetsExactlyNBytesThenTheFault(FaultKind kind)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var upstream = ByteServer.Start(Payload);
        await using var proxy = FaultProxy.Start(upstream.EndPoint);
        Task<long> fired = proxy.ArmCut(kind, afterBytes: 10_000);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port, cts.Token);
        var buffer = new byte[64 * 1024];
        long received = 0;
        Exception? error = null;
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        // Once the fault fired, whatever comes next (end, reset) comes at once; a stall gives nothing at all.
        _ = fired.ContinueWith(_ => quiet.CancelAfter(TimeSpan.FromMilliseconds(500)), TaskScheduler.Default);
        try
        {
            int read;
            while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, quiet.Token)) > 0)
            {
                received += read;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            error = e;
        }

        Assert.That(received, Is.EqualTo(10_000), "bytes that got through before the cut");
        Assert.That(await fired, Is.EqualTo(10_000));
        switch (kind)
        {
            case FaultKind.Drop:
                Assert.That(error, Is.Null, "a drop is a clean end of stream");
                break;
            case FaultKind.Reset:
                Assert.That(error, Is.InstanceOf<SocketException>().With.Property(nameof(SocketException.SocketErrorCode)).EqualTo(SocketError.ConnectionReset));
                break;
            case FaultKind.Stall:
                Assert.That(error, Is.InstanceOf<OperationCanceledException>(), "a stall keeps the connection open and silent");
                Assert.That(cts.IsCancellationRequested, Is.False);
                break;
        }
    }

    [Test]
    public async Task ArmCut_FiresOnce_NextConnectionIsClean()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var upstream = ByteServer.Start(Payload);
        await using var proxy = FaultProxy.Start(upstream.EndPoint);
        Task<long> fired = proxy.ArmCut(FaultKind.Reset, afterBytes: 1);

        Assert.That(await ReadAllAsync(proxy.Port, cts.Token, tolerateReset: true), Is.LessThan(Payload));

        // The proxy resets the connection, then completes `fired`: the client may see the reset first.
        Assert.That(await fired.WaitAsync(TimeSpan.FromSeconds(10), cts.Token), Is.EqualTo(1), "bytes forwarded before the cut");
        Assert.That(await ReadAllAsync(proxy.Port, cts.Token), Is.EqualTo(Payload));
    }

    [Test]
    public async Task Delay_AddsLatencyToEveryChunk()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var upstream = ByteServer.Start(1);
        await using var proxy = FaultProxy.Start(upstream.EndPoint);
        proxy.Delay = TimeSpan.FromMilliseconds(200);

        long start = Stopwatch.GetTimestamp();
        Assert.That(await ReadAllAsync(proxy.Port, cts.Token), Is.EqualTo(1));
        Assert.That(Stopwatch.GetElapsedTime(start), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190)));
    }

    [Test]
    public async Task RefuseNewConnections_NewConnectionIsReset_OpenOneKeepsFlowing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var upstream = ByteServer.Start(Payload);
        await using var proxy = FaultProxy.Start(upstream.EndPoint);
        proxy.RefuseNewConnections = true;

        Assert.That(async () => await ReadAllAsync(proxy.Port, cts.Token), Throws.InstanceOf<SocketException>());
        proxy.RefuseNewConnections = false;
        Assert.That(await ReadAllAsync(proxy.Port, cts.Token), Is.EqualTo(Payload));
    }

    private static async Task<long> ReadAllAsync(int port, CancellationToken ct, bool tolerateReset = false)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var buffer = new byte[64 * 1024];
        long received = 0;
        try
        {
            // Inside the try: a cut right after the first byte can reach this socket before its connect is reported
            // (on a busy machine), and then the connect itself fails with the reset.
            await client.ConnectAsync(IPAddress.Loopback, port, ct);
            int read;
            while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
            {
                received += read;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && tolerateReset)
        {
            // Cut mid-stream: report what got through (a reset may discard bytes not yet read).
        }

        return received;
    }

    /// <summary>Sends <c>payload</c> bytes to every connection, then closes it.</summary>
    private sealed class ByteServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private ByteServer(int payload)
        {
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                var bytes = new byte[payload];
                while (!_stop.IsCancellationRequested)
                {
                    Socket socket;
                    try
                    {
                        socket = await _listener.AcceptSocketAsync(_stop.Token);
                    }
                    catch (Exception e) when (e is OperationCanceledException or SocketException)
                    {
                        return;
                    }

                    _ = Task.Run(async () =>
                    {
                        using (socket)
                        {
                            try
                            {
                                await socket.SendAsync(bytes, SocketFlags.None, _stop.Token);
                                socket.Shutdown(SocketShutdown.Send);
                                // Wait for the peer to close, so that our close is not a reset.
                                await socket.ReceiveAsync(new byte[1], SocketFlags.None, _stop.Token);
                            }
                            catch (Exception e) when (e is OperationCanceledException or SocketException)
                            {
                                // The proxy cut it.
                            }
                        }
                    });
                }
            });
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public static ByteServer Start(int payload) => new(payload);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
