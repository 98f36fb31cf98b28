namespace FlagKit.Documents;

/// <summary>
/// A flags file: the unit ops write (config as code), the server exports, and the SDK caches on disk.
/// </summary>
/// <remarks>
/// The JSON form is <c>{ "schema": 1, "flags": [ ... ], "segments": [ ... ] }</c>. A file is validated whole:
/// one error anywhere refuses the whole file, and nothing of it is applied.
/// </remarks>
public sealed class FlagFile
{
    /// <summary>The flag document schema this SDK writes and reads.</summary>
    public const int CurrentSchema = 1;

    /// <summary>The document schema version of this file (see <see cref="CurrentSchema"/>).</summary>
    public int Schema { get; set; } = CurrentSchema;

    /// <summary>The flags, each with a unique key.</summary>
    public List<FlagDocument> Flags { get; set; } = [];

    /// <summary>The segments (named, reusable audiences), each with a unique key.</summary>
    public List<SegmentDocument> Segments { get; set; } = [];
}
