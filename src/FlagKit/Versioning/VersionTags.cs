using System.Diagnostics;

namespace FlagKit.Versioning;

/// <summary>
/// The versions that describe this process for telemetry: build id, application version, and the contract and
/// calculation versions in use. Set once at start-up (<see cref="Current"/>); every FlagKit versioning meter and
/// activity carries them, and <see cref="Enrich"/> adds them to your own activities.
/// </summary>
/// <remarks>
/// <para>Tag names: <c>flagkit.build_id</c>, <c>flagkit.app_version</c>, <c>flagkit.contract.{name}</c> (for each
/// contract), <c>flagkit.calc.{name}</c> (for each calculation engine).</para>
/// <para>Immutable; <see cref="Current"/> is swapped atomically, so readers always see one consistent set.</para>
/// </remarks>
/// <example>
/// <code>
/// VersionTags.Current = new VersionTags(buildId: "2026.11.27-4f1c", appVersion: SemanticVersion.Parse("3.4.1"))
///     .WithContract("wallet-api", "3.1.0")
///     .WithCalc("calc-engine", "1.4.0");
/// </code>
/// </example>
public sealed class VersionTags
{
    private static VersionTags s_current = new(null, null);

    private readonly KeyValuePair<string, object?>[] _tags;

    /// <summary>Creates a set of version tags.</summary>
    /// <param name="buildId">The build id (a CI build number, a commit), or null.</param>
    /// <param name="appVersion">The application's own version, or null.</param>
    public VersionTags(string? buildId, SemanticVersion? appVersion)
        : this(buildId, appVersion, [], [])
    {
    }

    private VersionTags(string? buildId, SemanticVersion? appVersion, KeyValuePair<string, string>[] contracts, KeyValuePair<string, string>[] calcs)
    {
        BuildId = buildId;
        AppVersion = appVersion;
        Contracts = contracts;
        Calcs = calcs;
        var tags = new List<KeyValuePair<string, object?>>();
        if (buildId is not null)
        {
            tags.Add(new("flagkit.build_id", buildId));
        }

        if (appVersion is { } app)
        {
            tags.Add(new("flagkit.app_version", app.ToString()));
        }

        tags.AddRange(contracts.Select(c => new KeyValuePair<string, object?>("flagkit.contract." + c.Key, c.Value)));
        tags.AddRange(calcs.Select(c => new KeyValuePair<string, object?>("flagkit.calc." + c.Key, c.Value)));
        _tags = [.. tags];
    }

    /// <summary>The tags in use by this process (empty until set). Thread-safe.</summary>
    public static VersionTags Current
    {
        get => Volatile.Read(ref s_current);
        set => Volatile.Write(ref s_current, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>The build id, or null.</summary>
    public string? BuildId { get; }

    /// <summary>The application's version, or null.</summary>
    public SemanticVersion? AppVersion { get; }

    /// <summary>Contract name → version in use.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Contracts { get; }

    /// <summary>Calculation engine name → version in use.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Calcs { get; }

    /// <summary>Every tag, ready for a meter or an activity.</summary>
    public ReadOnlySpan<KeyValuePair<string, object?>> Tags => _tags;

    /// <summary>A copy with a contract version set (replacing the contract's previous entry).</summary>
    /// <param name="contract">The contract's name.</param>
    /// <param name="version">The version in use.</param>
    /// <returns>A new instance.</returns>
    public VersionTags WithContract(string contract, string version)
    {
        ArgumentException.ThrowIfNullOrEmpty(contract);
        ArgumentException.ThrowIfNullOrEmpty(version);
        return new(BuildId, AppVersion, [.. Contracts.Where(c => c.Key != contract), new(contract, version)], [.. Calcs]);
    }

    /// <summary>A copy with a calculation engine version set (replacing its previous entry).</summary>
    /// <param name="calc">The engine's name (e.g. the version flag's key).</param>
    /// <param name="version">The version in use.</param>
    /// <returns>A new instance.</returns>
    public VersionTags WithCalc(string calc, string version)
    {
        ArgumentException.ThrowIfNullOrEmpty(calc);
        ArgumentException.ThrowIfNullOrEmpty(version);
        return new(BuildId, AppVersion, [.. Contracts], [.. Calcs.Where(c => c.Key != calc), new(calc, version)]);
    }

    /// <summary>Adds these tags to an activity (yours, or one FlagKit started).</summary>
    /// <param name="activity">The activity; nothing happens when null.</param>
    /// <returns>The activity.</returns>
    public Activity? Enrich(Activity? activity)
    {
        if (activity is null)
        {
            return null;
        }

        foreach (var tag in _tags)
        {
            activity.SetTag(tag.Key, tag.Value);
        }

        return activity;
    }

    /// <summary>The tags as <c>name=value</c> pairs.</summary>
    /// <returns>For example <c>flagkit.build_id=42, flagkit.calc.calc-engine=1.4.0</c>.</returns>
    public override string ToString() => string.Join(", ", _tags.Select(t => $"{t.Key}={t.Value}"));
}
