using Grpc.Core;

namespace FlagKit.Server.Sync.Direct;

/// <summary>
/// What a request's header block says, as the direct transport needs it: whether it is a Sync call (POST, the path,
/// a gRPC content type), its grpc-timeout and grpc-encoding, and the metadata the call sees (pseudo-headers and
/// transport headers left out).
/// </summary>
internal struct RequestFields
{
    private readonly bool _collect;
    private bool _post;
    private bool _syncPath;
    private bool _grpcContent;

    /// <summary>Starts an empty set.</summary>
    /// <param name="collect">Whether metadata is kept (a new stream), or only the routing fields are read.</param>
    public RequestFields(bool collect) => _collect = collect;

    /// <summary>Whether the request is a Sync call.</summary>
    public readonly bool IsSync => _post && _syncPath && _grpcContent;

    /// <summary>grpc-encoding, if sent.</summary>
    public string? Encoding { get; private set; }

    /// <summary>grpc-timeout, if sent and valid.</summary>
    public TimeSpan? Timeout { get; private set; }

    /// <summary>The call's metadata.</summary>
    public Metadata? Metadata { get; private set; }

    /// <summary>Takes one decoded field.</summary>
    /// <param name="name">Lower-case name.</param>
    /// <param name="value">Value.</param>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (name.Length > 0 && name[0] == (byte)':')
        {
            if (name.SequenceEqual(":method"u8))
            {
                _post = value.SequenceEqual("POST"u8);
            }
            else if (name.SequenceEqual(":path"u8))
            {
                _syncPath = value.SequenceEqual(DirectSyncRouter.SyncPathBytes);
            }

            return;
        }

        if (name.SequenceEqual("content-type"u8))
        {
            _grpcContent = value.SequenceEqual("application/grpc"u8) || value.StartsWith("application/grpc+"u8) || value.StartsWith("application/grpc;"u8);
            return;
        }

        if (!_collect || name.SequenceEqual("te"u8) || name.SequenceEqual("user-agent"u8) || name.SequenceEqual("grpc-accept-encoding"u8) || name.SequenceEqual("accept-encoding"u8))
        {
            return;
        }

        if (name.SequenceEqual("grpc-encoding"u8))
        {
            Encoding = System.Text.Encoding.ASCII.GetString(value);
            return;
        }

        if (name.SequenceEqual("grpc-timeout"u8))
        {
            Timeout = ParseTimeout(value);
            return;
        }

        var key = System.Text.Encoding.ASCII.GetString(name);
        try
        {
            if (key.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.Ordinal))
            {
                (Metadata ??= []).Add(key, Convert.FromBase64String(PadBase64(System.Text.Encoding.ASCII.GetString(value))));
            }
            else
            {
                (Metadata ??= []).Add(key, System.Text.Encoding.UTF8.GetString(value));
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            // A name or value gRPC metadata cannot hold: left out, as ASP.NET Core's gRPC does.
        }
    }

    /// <summary>Parses grpc-timeout: up to 8 digits and a unit (H, M, S, m, u, n).</summary>
    private static TimeSpan? ParseTimeout(ReadOnlySpan<byte> value)
    {
        if (value.Length is < 2 or > 9)
        {
            return null;
        }

        long amount = 0;
        foreach (var digit in value[..^1])
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return null;
            }

            amount = (amount * 10) + (digit - '0');
        }

        return value[^1] switch
        {
            (byte)'H' => TimeSpan.FromHours(amount),
            (byte)'M' => TimeSpan.FromMinutes(amount),
            (byte)'S' => TimeSpan.FromSeconds(amount),
            (byte)'m' => TimeSpan.FromMilliseconds(amount),
            (byte)'u' => TimeSpan.FromTicks(amount * 10),
            (byte)'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }

    private static string PadBase64(string value) => (value.Length % 4) switch
    {
        2 => value + "==",
        3 => value + "=",
        _ => value,
    };
}
