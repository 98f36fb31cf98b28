namespace FlagKit.Versioning;

/// <summary>The version a version flag resolved to, where it came from, and why.</summary>
/// <remarks>An immutable value; safe to share.</remarks>
public readonly struct VersionResolution
{
    internal VersionResolution(
        string flagKey,
        SemanticVersion version,
        VersionSource source,
        EvaluationReason evaluationReason,
        string? variant,
        long revision,
        long flagVersion,
        string? pinKey,
        DateTimeOffset? pinnedAt,
        string? error)
    {
        FlagKey = flagKey;
        Version = version;
        Source = source;
        EvaluationReason = evaluationReason;
        Variant = variant;
        Revision = revision;
        FlagVersion = flagVersion;
        PinKey = pinKey;
        PinnedAt = pinnedAt;
        Error = error;
    }

    /// <summary>The version flag's key.</summary>
    public string FlagKey { get; }

    /// <summary>The version to use.</summary>
    public SemanticVersion Version { get; }

    /// <summary>Evaluated, pinned, killed, replayed, the caller's default, or evaluated because the pin store failed.</summary>
    public VersionSource Source { get; }

    /// <summary>The flag evaluation's reason (for a pinned version, the reason of the evaluation that created the pin).</summary>
    public EvaluationReason EvaluationReason { get; }

    /// <summary>The variant's name, or null for a default or a replay.</summary>
    public string? Variant { get; }

    /// <summary>
    /// The flag snapshot revision the version came from: for a pinned version, the revision it was pinned at; for
    /// a replay, 0.
    /// </summary>
    public long Revision { get; }

    /// <summary>The flag's own version when the version was evaluated (pinned: when it was pinned).</summary>
    public long FlagVersion { get; }

    /// <summary>The pin key the caller gave, or null.</summary>
    public string? PinKey { get; }

    /// <summary>When the pin was created, for <see cref="VersionSource.Pinned"/> and <see cref="VersionSource.PinCreated"/>.</summary>
    public DateTimeOffset? PinnedAt { get; }

    /// <summary>What went wrong, for <see cref="VersionSource.Default"/> and <see cref="VersionSource.PinStoreFailed"/>; else null.</summary>
    public string? Error { get; }

    /// <summary>Whether the version is the one pinned under <see cref="PinKey"/>.</summary>
    public bool IsPinned => Source is VersionSource.Pinned or VersionSource.PinCreated;

    /// <summary>For logs: <c>calc-engine 1.4.0 (Pinned at revision 12, pin round-77)</c>.</summary>
    /// <returns>A description.</returns>
    public override string ToString() =>
        $"{FlagKey} {Version} ({Source} at revision {Revision}{(PinKey is null ? "" : ", pin " + PinKey)}{(Error is null ? "" : ": " + Error)})";
}
