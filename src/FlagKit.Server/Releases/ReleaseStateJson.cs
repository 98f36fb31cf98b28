using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Server.Releases;

/// <summary>How a <see cref="ReleaseState"/> is stored: JSON, enums by name.</summary>
internal static class ReleaseStateJson
{
    private static readonly JsonSerializerOptions Options = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The state as JSON.</summary>
    public static string Write(ReleaseState state) => JsonSerializer.Serialize(state, Options);

    /// <summary>The state from JSON. Throws <see cref="JsonException"/> when it does not parse.</summary>
    public static ReleaseState Read(string json) =>
        JsonSerializer.Deserialize<ReleaseState>(json, Options) ?? throw new JsonException("The release state is null.");

    /// <summary>The status as stored: <c>running</c>, <c>paused</c>, <c>rolledback</c>, <c>completed</c>, <c>aborted</c>.</summary>
    public static string Status(ReleaseStatus status) => status.ToString().ToLowerInvariant();
}
