using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Sources;

namespace FlagKit;

/// <summary>
/// Flags for your unit tests: a ready <see cref="FlagClient"/> whose flags you set in one line each.
/// </summary>
/// <example>
/// <code>
/// await using var flags = new TestFlags().Set("new-bonus-engine", true).Set("max-bet", 50.0);
/// var spin = new SlotMachine(flags.Client);
/// flags.Kill("new-bonus-engine");   // serves false from now on, reason KILLED
/// </code>
/// </example>
/// <remarks>
/// Every change is validated like a flags file and applied as one new revision, synchronously: the next evaluation
/// sees it. The simple setters create a flag that is on and serves the value given; its off variant (served when
/// killed) is <see langword="false"/> for booleans and the same value for other kinds. For anything richer (rules,
/// splits, prerequisites), pass a <see cref="FlagDocument"/> to <see cref="Set(FlagDocument)"/>. Thread safe.
/// </remarks>
public sealed class TestFlags : IDisposable, IAsyncDisposable
{
    /// <summary>Creates an empty set of flags and a client that is already <see cref="FlagClientStatus.Ready"/>.</summary>
    public TestFlags()
    {
        Source = new InMemoryFlagSource();
        Client = new FlagClient(Source);

        // The in-memory source delivers synchronously: the client is ready when StartAsync returns.
        Client.StartAsync().GetAwaiter().GetResult();
    }

    /// <summary>The client to give to the code under test.</summary>
    public FlagClient Client { get; }

    /// <summary>The source behind <see cref="Client"/>, for segments, whole files and status changes.</summary>
    public InMemoryFlagSource Source { get; }

    /// <summary>Sets a boolean flag.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="value">The value served.</param>
    /// <returns>This instance, to chain calls.</returns>
    public TestFlags Set(string key, bool value) =>
        Set(Simple(key, FlagKind.Bool, value ? "on" : "off", new()
        {
            ["on"] = JsonSerializer.SerializeToElement(true, TestFlagsJson.Default.Boolean),
            ["off"] = JsonSerializer.SerializeToElement(false, TestFlagsJson.Default.Boolean),
        }, offVariant: "off"));

    /// <summary>Sets a string flag.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="value">The value served.</param>
    /// <returns>This instance, to chain calls.</returns>
    public TestFlags Set(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Set(Simple(key, FlagKind.String, "value", new() { ["value"] = JsonSerializer.SerializeToElement(value, TestFlagsJson.Default.String) }, "value"));
    }

    /// <summary>Sets a number flag.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="value">The value served.</param>
    /// <returns>This instance, to chain calls.</returns>
    public TestFlags Set(string key, double value) =>
        Set(Simple(key, FlagKind.Number, "value", new() { ["value"] = JsonSerializer.SerializeToElement(value, TestFlagsJson.Default.Double) }, "value"));

    /// <summary>Sets a JSON flag.</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="json">The value served, as JSON text.</param>
    /// <returns>This instance, to chain calls.</returns>
    /// <exception cref="JsonException"><paramref name="json"/> is not valid JSON.</exception>
    public TestFlags SetJson(string key, string json)
    {
        using var document = JsonDocument.Parse(json);
        return Set(Simple(key, FlagKind.Json, "value", new() { ["value"] = document.RootElement.Clone() }, "value"));
    }

    /// <summary>Sets a flag from a full document (rules, splits, prerequisites, targets...).</summary>
    /// <param name="flag">The flag.</param>
    /// <returns>This instance, to chain calls.</returns>
    /// <exception cref="FlagValidationException">The flag is invalid; nothing changed.</exception>
    public TestFlags Set(FlagDocument flag)
    {
        Source.SetFlag(flag);
        return this;
    }

    /// <summary>Sets a segment.</summary>
    /// <param name="segment">The segment.</param>
    /// <returns>This instance, to chain calls.</returns>
    /// <exception cref="FlagValidationException">The segment is invalid; nothing changed.</exception>
    public TestFlags SetSegment(SegmentDocument segment)
    {
        Source.SetSegment(segment);
        return this;
    }

    /// <summary>Adds tags to a flag (for <see cref="KillTag"/>).</summary>
    /// <param name="key">The flag key.</param>
    /// <param name="tags">The tags to add.</param>
    /// <returns>This instance, to chain calls.</returns>
    /// <exception cref="KeyNotFoundException">No flag has that key.</exception>
    public TestFlags Tag(string key, params string[] tags)
    {
        var flag = Source.Snapshot.ToFile().Flags.Find(f => f.Key == key) ?? throw new KeyNotFoundException($"No flag '{key}'.");
        flag.Tags ??= [];
        flag.Tags.AddRange(tags.Where(t => !flag.Tags.Contains(t)));
        return Set(flag);
    }

    /// <summary>Removes a flag: evaluations then serve the caller's default (reason FLAG_NOT_FOUND).</summary>
    /// <param name="key">The flag key.</param>
    /// <returns>This instance, to chain calls.</returns>
    public TestFlags Remove(string key)
    {
        Source.RemoveFlag(key);
        return this;
    }

    /// <summary>Kills a flag: it serves its off variant (reason KILLED).</summary>
    /// <param name="key">The flag key.</param>
    /// <returns>This instance, to chain calls.</returns>
    /// <exception cref="KeyNotFoundException">No flag has that key.</exception>
    public TestFlags Kill(string key)
    {
        Source.SetKilled(key, killed: true);
        return this;
    }

    /// <summary>Clears a flag's kill switch.</summary>
    /// <param name="key">The flag key.</param>
    /// <returns>This instance, to chain calls.</returns>
    /// <exception cref="KeyNotFoundException">No flag has that key.</exception>
    public TestFlags Revive(string key)
    {
        Source.SetKilled(key, killed: false);
        return this;
    }

    /// <summary>Kills every flag tagged <paramref name="tag"/>, in one revision.</summary>
    /// <param name="tag">The tag.</param>
    /// <returns>This instance, to chain calls.</returns>
    public TestFlags KillTag(string tag)
    {
        Source.KillTag(tag, killed: true);
        return this;
    }

    /// <summary>Disposes the client.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Disposes the client.</summary>
    /// <returns>A task that completes when disposed.</returns>
    public ValueTask DisposeAsync() => Client.DisposeAsync();

    private FlagDocument Simple(string key, FlagKind kind, string variant, Dictionary<string, JsonElement> variants, string offVariant)
    {
        // Keep the tags of a flag set before (Tag, then Set again); only the public snapshot API is used.
        FlagSnapshot snapshot = Source.Snapshot;
        List<string> tags = snapshot.ContainsFlag(key) && snapshot.ToFile().Flags.Find(f => f.Key == key)?.Tags is { } existing ? [.. existing] : [];
        return new FlagDocument
        {
            Key = key,
            Kind = kind,
            On = true,
            Tags = tags,
            Variants = variants,
            OffVariant = offVariant,
            DefaultRule = new ServeDocument { Variant = variant },
        };
    }
}
