using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>A header handler that only counts the fields it is handed (allocates nothing).</summary>
internal sealed class HpackFieldCounter : IHpackHeaderHandler
{
    /// <summary>Fields handed over so far.</summary>
    public int Fields { get; private set; }

    /// <inheritdoc />
    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Fields++;
}
