using System.Text;
using FlagKit.Server.Sync.Direct;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>A header handler that keeps every decoded field as text (Latin-1, byte for byte), for the HPACK tests.</summary>
internal sealed class HpackFieldRecorder : IHpackHeaderHandler
{
    /// <summary>The fields handed over, in order.</summary>
    public List<(string Name, string Value)> Fields { get; } = [];

    /// <inheritdoc />
    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        Fields.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));

    /// <summary>Decodes one block given in hex (spaces allowed) and returns its fields.</summary>
    /// <param name="decoder">The decoder (its dynamic table carries over between calls).</param>
    /// <param name="hex">The block.</param>
    /// <returns>The fields.</returns>
    public static (string Name, string Value)[] Decode(HpackDecoder decoder, string hex)
    {
        var recorder = new HpackFieldRecorder();
        decoder.Decode(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)), recorder);
        return [.. recorder.Fields];
    }
}
