namespace FlagKit.Sources;

/// <summary>
/// The addresses a <see cref="GrpcFlagSource"/> may use and the one it uses now: it starts at a random one (a fleet of
/// SDKs spreads over the replicas) and moves to the next, in order, when it leaves a server. Used only by the source's
/// loop; not thread-safe.
/// </summary>
internal sealed class GrpcServerRotation
{
    private readonly IReadOnlyList<Uri> _addresses;
    private int _index;

    /// <param name="addresses">At least one address, each once.</param>
    public GrpcServerRotation(IReadOnlyList<Uri> addresses)
    {
        _addresses = addresses;
        _index = addresses.Count > 1 ? Random.Shared.Next(addresses.Count) : 0;
        Identity = addresses.Count == 1
            ? addresses[0].ToString()
            : string.Join(",", addresses.Select(a => a.ToString()).Order(StringComparer.Ordinal));
    }

    /// <summary>The address in use.</summary>
    public Uri Current => _addresses[_index];

    /// <summary>Whether there is another address to move to.</summary>
    public bool CanMove => _addresses.Count > 1;

    /// <summary>Names the service whatever address is in use (the disk cache's key): the one address, or all of them sorted.</summary>
    public string Identity { get; }

    /// <summary>Moves to the next address.</summary>
    /// <returns>The address now in use.</returns>
    public Uri Next()
    {
        _index = (_index + 1) % _addresses.Count;
        return Current;
    }
}
