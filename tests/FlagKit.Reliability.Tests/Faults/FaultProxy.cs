using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace FlagKit.Reliability.Tests.Faults;

/// <summary>What <see cref="FaultProxy"/> does to a connection when a fault fires.</summary>
public enum FaultKind
{
    /// <summary>Close both sides cleanly (FIN): the peer sees the stream end.</summary>
    Drop,

    /// <summary>Abort both sides (RST, linger 0): the peer sees "connection reset".</summary>
    Reset,

    /// <summary>Stop forwarding in both directions but keep both sockets open: a black hole (NAT timeout, hung peer).</summary>
    Stall,
}

/// <summary>
/// A TCP proxy on 127.0.0.1:0 in front of a real server, that injects faults on purpose: it drops, resets or stalls
/// connections (immediately, or after exactly N more bytes from the server, so that a cut lands in the middle of a
/// batch or even of an HTTP/2 frame), delays every chunk by a latency, and refuses new connections.
/// </summary>
/// <remarks>
/// Thread safe: faults may be armed from the test while the pumps run. Each accepted connection has two pumps
/// (client→server, server→client); a delay is applied as latency (each chunk is written <c>delay</c> after it was
/// read, order kept), not as a throughput limit.
/// </remarks>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<ProxiedConnection> _open = [];
    private readonly Task _acceptLoop;
    private PendingCut? _pendingCut;
    private long _delayTicks;
    private volatile bool _refuseNew;
    private int _accepted;

    private FaultProxy(IPEndPoint upstream)
    {
        Upstream = upstream;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where connections are forwarded; may be changed (e.g. after the server moved), affects new connections.</summary>
    public IPEndPoint Upstream { get; set; }

    /// <summary>The port the proxy listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:port</c>: what the SDK is pointed at.</summary>
    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>Connections accepted so far (including refused ones).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections currently open.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Starts a proxy in front of <paramref name="upstream"/>.</summary>
    /// <param name="upstream">The real server.</param>
    /// <returns>The running proxy.</returns>
    public static FaultProxy Start(IPEndPoint upstream) => new(upstream);

    /// <summary>Starts a proxy in front of the server at <paramref name="upstream"/> (an http://127.0.0.1:port address).</summary>
    /// <param name="upstream">The real server's address.</param>
    /// <returns>The running proxy.</returns>
    public static FaultProxy Start(Uri upstream) => new(new IPEndPoint(IPAddress.Parse(upstream.Host), upstream.Port));

    /// <summary>
    /// When true, new connections are accepted and reset at once (the server looks down); open ones are untouched.
    /// </summary>
    public bool RefuseNewConnections
    {
        get => _refuseNew;
        set => _refuseNew = value;
    }

    /// <summary>Latency added to every chunk in both directions, on every connection (zero: none).</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>
    /// Arms a one-shot fault: the first connection (open now or later) that forwards <paramref name="afterBytes"/> more
    /// bytes from the server to the client gets exactly that many, then <paramref name="kind"/>. Later connections are clean.
    /// </summary>
    /// <param name="kind">What to do at the cut.</param>
    /// <param name="afterBytes">Server→client bytes still forwarded before the cut (0: at the next byte).</param>
    /// <returns>Completes when the fault has fired, with the number of server→client bytes that connection had forwarded in all.</returns>
    public Task<long> ArmCut(FaultKind kind, long afterBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterBytes);
        var cut = new PendingCut(kind, afterBytes);
        lock (_gate)
        {
            _pendingCut = cut;
            foreach (ProxiedConnection connection in _open)
            {
                connection.Arm(cut);
            }
        }

        return cut.Fired.Task;
    }

    /// <summary>Applies <paramref name="kind"/> to every open connection now.</summary>
    /// <param name="kind">The fault.</param>
    /// <returns>How many connections were hit.</returns>
    public int FaultAll(FaultKind kind)
    {
        ProxiedConnection[] open;
        lock (_gate)
        {
            open = [.. _open];
        }

        foreach (ProxiedConnection connection in open)
        {
            connection.Fault(kind);
        }

        return open.Length;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        FaultAll(FaultKind.Reset);
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            client.NoDelay = true;
            if (_refuseNew)
            {
                Abort(client);
                continue;
            }

            _ = Task.Run(() => ConnectAsync(client));
        }
    }

    private async Task ConnectAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await server.ConnectAsync(Upstream, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The server is down: the client sees a reset, as it would connecting to a closed port.
            Abort(client);
            server.Dispose();
            return;
        }

        var connection = new ProxiedConnection(this, client, server);
        lock (_gate)
        {
            _open.Add(connection);
            if (_pendingCut is { IsFired: false } cut)
            {
                connection.Arm(cut);
            }
        }

        try
        {
            await connection.RunAsync(_stop.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(connection);
            }
        }
    }

    private static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        socket.Dispose();
    }

    /// <summary>A one-shot cut: fires once, on the first connection to reach the byte count.</summary>
    private sealed class PendingCut(FaultKind kind, long afterBytes)
    {
        private int _claimed;

        public FaultKind Kind { get; } = kind;

        public long AfterBytes { get; } = afterBytes;

        public TaskCompletionSource<long> Fired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsFired => Volatile.Read(ref _claimed) != 0;

        public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;
    }

    /// <summary>One client connection and its upstream twin.</summary>
    private sealed class ProxiedConnection(FaultProxy proxy, Socket client, Socket server)
    {
        private readonly CancellationTokenSource _faulted = new();
        private readonly Lock _gate = new();
        private PendingCut? _cut;
        private long _cutAt = -1;
        private long _downstream;
        private int _faultApplied;

        public void Arm(PendingCut cut)
        {
            lock (_gate)
            {
                _cut = cut;
                _cutAt = Interlocked.Read(ref _downstream) + cut.AfterBytes;
            }
        }

        public async Task RunAsync(CancellationToken stop)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, _faulted.Token);
            Task up = PumpAsync(client, server, downstream: false, linked.Token);
            Task down = PumpAsync(server, client, downstream: true, linked.Token);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            if (Volatile.Read(ref _faultApplied) == 0)
            {
                // One side closed: pass the close on, as a real network path would.
                Fault(FaultKind.Drop);
            }

            try
            {
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Ended by a fault.
            }

            client.Dispose();
            server.Dispose();
        }

        public void Fault(FaultKind kind)
        {
            if (Interlocked.Exchange(ref _faultApplied, 1) != 0)
            {
                return;
            }

            switch (kind)
            {
                case FaultKind.Drop:
                    Shutdown(client);
                    Shutdown(server);
                    _faulted.Cancel();
                    break;
                case FaultKind.Reset:
                    Abort(client);
                    Abort(server);
                    _faulted.Cancel();
                    break;
                case FaultKind.Stall:
                    // Pumps stop forwarding (they check _faultApplied) and swallow what they read; both sockets stay
                    // open until a peer closes its side or the proxy is disposed.
                    break;
            }
        }

        private static void Shutdown(Socket socket)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }

            socket.Dispose();
        }

        private async Task PumpAsync(Socket from, Socket to, bool downstream, CancellationToken ct)
        {
            var chunks = Channel.CreateUnbounded<(long ReadAt, byte[] Bytes, int Count)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            Task writer = WriteLoopAsync(chunks.Reader, to, downstream, ct);
            try
            {
                var buffer = new byte[16 * 1024];
                while (true)
                {
                    int read = await from.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    if (Volatile.Read(ref _faultApplied) != 0)
                    {
                        // Stalled (or faulted): swallow; the peer waits for an answer that never comes.
                        continue;
                    }

                    var copy = new byte[read];
                    buffer.AsSpan(0, read).CopyTo(copy);
                    chunks.Writer.TryWrite((proxy.Delay > TimeSpan.Zero ? System.Diagnostics.Stopwatch.GetTimestamp() : 0, copy, read));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Faulted or stopped.
            }
            finally
            {
                chunks.Writer.TryComplete();
            }

            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Faulted or stopped.
            }
        }

        private async Task WriteLoopAsync(ChannelReader<(long ReadAt, byte[] Bytes, int Count)> chunks, Socket to, bool downstream, CancellationToken ct)
        {
            await foreach ((long readAt, byte[] bytes, int count) in chunks.ReadAllAsync(ct).ConfigureAwait(false))
            {
                TimeSpan delay = proxy.Delay;
                if (delay > TimeSpan.Zero && readAt != 0)
                {
                    TimeSpan wait = delay - System.Diagnostics.Stopwatch.GetElapsedTime(readAt);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, ct).ConfigureAwait(false);
                    }
                }

                int send = count;
                PendingCut? fire = null;
                if (downstream)
                {
                    lock (_gate)
                    {
                        if (_cut is { } cut && _cutAt >= 0 && _downstream + count >= _cutAt && cut.TryClaim())
                        {
                            send = (int)(_cutAt - _downstream);
                            fire = cut;
                        }
                        else if (_cut is { IsFired: true })
                        {
                            _cut = null;
                            _cutAt = -1;
                        }
                    }
                }

                if (Volatile.Read(ref _faultApplied) != 0)
                {
                    return;
                }

                if (send > 0)
                {
                    await to.SendAsync(bytes.AsMemory(0, send), SocketFlags.None, ct).ConfigureAwait(false);
                    if (downstream)
                    {
                        Interlocked.Add(ref _downstream, send);
                    }
                }

                if (fire is not null)
                {
                    Fault(fire.Kind);
                    fire.Fired.TrySetResult(Interlocked.Read(ref _downstream));
                    return;
                }
            }
        }
    }
}
