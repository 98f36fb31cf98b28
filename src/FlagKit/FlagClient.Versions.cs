using System.Collections.Concurrent;
using FlagKit.Documents;
using FlagKit.Evaluation;
using FlagKit.Versioning;

namespace FlagKit;

/// <summary>Version flags: <see cref="GetVersion"/>, with pinning and replay.</summary>
public sealed partial class FlagClient
{
    // Parsed versions of pinned texts that differ from the flag's current variant (few: a flag's past variants).
    private readonly ConcurrentDictionary<string, SemanticVersion> _parsedVersions = new(StringComparer.Ordinal);
    private IVersionPinStore? _pinStore;

    /// <summary>The store that holds version pins (<see cref="FlagClientOptions.VersionPinStore"/>, or the in-memory default).</summary>
    public IVersionPinStore VersionPins =>
        Volatile.Read(ref _pinStore) ?? LazyInitializer.EnsureInitialized(ref _pinStore, () => _options.VersionPinStore
            ?? new MemoryVersionPinStore(_options.VersionPinExpiry, _options.VersionPinSlidingExpiry, _options.TimeProvider));

    /// <summary>
    /// Resolves a version flag (kind <c>version</c>), optionally pinned: with a <paramref name="pinKey"/> (a round id,
    /// a session id), the first resolution for that key is remembered and returned again while the pin lives, even
    /// after the flag changes, together with the flag revision it came from.
    /// </summary>
    /// <param name="key">The version flag's key.</param>
    /// <param name="context">Who the flag is evaluated for; none when null.</param>
    /// <param name="pinKey">The key to pin the resolution under, or null to evaluate without pinning.</param>
    /// <param name="defaultValue">Served when the flag is missing, not a version flag, or fails.</param>
    /// <returns>The version, its source (evaluated, pin created, pinned, killed, default...) and revision.</returns>
    /// <remarks>
    /// <para>
    /// A killed flag wins over a pin: its off variant is returned with <see cref="VersionSource.Killed"/>, and the
    /// pin is left as it is, so reviving the flag resumes it. A kill never creates a pin. A flag that is missing or
    /// fails creates no pin either, but an existing pin is still honoured.
    /// </para>
    /// <para>
    /// Two threads resolving the same new pin key at once get the same version (the store adds atomically).
    /// Never throws: a failing pin store gives <see cref="VersionSource.PinStoreFailed"/> with the flag's current
    /// version. With the in-memory store this completes synchronously; with a store that does I/O, prefer
    /// <see cref="GetVersionAsync"/>, as this method blocks on it.
    /// </para>
    /// </remarks>
    public VersionResolution GetVersion(string key, EvaluationContext? context = null, string? pinKey = null, SemanticVersion defaultValue = default)
    {
        if (TryResolveWithoutStore(key, context, pinKey, defaultValue, out var resolution, out var pin))
        {
            return resolution;
        }

        var pending = ResolvePinnedAsync(key, pinKey!, defaultValue, pin, CancellationToken.None);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Resolves a version flag, optionally pinned (see <see cref="GetVersion"/>), awaiting the pin store.</summary>
    /// <param name="key">The version flag's key.</param>
    /// <param name="context">Who the flag is evaluated for; none when null.</param>
    /// <param name="pinKey">The key to pin the resolution under, or null to evaluate without pinning.</param>
    /// <param name="defaultValue">Served when the flag is missing, not a version flag, or fails.</param>
    /// <param name="cancellationToken">Cancels waiting for the pin store (the result then says <see cref="VersionSource.PinStoreFailed"/>).</param>
    /// <returns>The resolution.</returns>
    /// <remarks>
    /// Never throws. Without a pin key, or for a killed flag, the store is not touched and the result is ready at once.
    /// With one, the store is read first and written only when it holds no pin for the key, so resolving an existing
    /// pin again allocates nothing (with the in-memory store).
    /// </remarks>
    public ValueTask<VersionResolution> GetVersionAsync(
        string key, EvaluationContext? context = null, string? pinKey = null, SemanticVersion defaultValue = default, CancellationToken cancellationToken = default) =>
        TryResolveWithoutStore(key, context, pinKey, defaultValue, out var resolution, out var pin)
            ? new(resolution)
            : ResolvePinnedAsync(key, pinKey!, defaultValue, pin, cancellationToken);

    // Everything that needs no pin store: a missing or wrong-kind flag, a kill, or no pin key. Otherwise false, with
    // what the pinned resolution needs in `pin`.
    private bool TryResolveWithoutStore(
        string key, EvaluationContext? context, string? pinKey, SemanticVersion defaultValue, out VersionResolution resolution, out PinInput pin)
    {
        var evaluation = Current.Evaluate(key, context);
        var flag = evaluation.Flag;
        pin = default;
        if (flag is not null && flag.Kind != FlagKind.Version && flag.Failure is null)
        {
            resolution = Record(Default(key, evaluation, defaultValue, pinKey, $"Flag '{key}' is a {flag.Kind} flag, not a version flag."));
            return true;
        }

        // Parsed when the flag was compiled (CompiledFlag.Versions).
        var current = evaluation.VariantIndex >= 0 ? flag!.Versions?[evaluation.VariantIndex] : null;
        var problem = current is null && evaluation.Variant is { } variant
            ? $"Flag '{key}' variant '{variant.Name}' is not a semantic version: '{variant.String}'."
            : null;

        if (evaluation.Reason == EvaluationReason.Killed && current is { } killed)
        {
            resolution = Record(new VersionResolution(
                key, killed, VersionSource.Killed, evaluation.Reason, evaluation.Variant!.Name, evaluation.Revision, evaluation.FlagVersion, pinKey, null, null));
            return true;
        }

        if (pinKey is null)
        {
            resolution = Record(current is { } now
                ? new VersionResolution(key, now, VersionSource.Evaluated, evaluation.Reason, evaluation.Variant!.Name, evaluation.Revision, evaluation.FlagVersion, null, null, null)
                : Default(key, evaluation, defaultValue, null, problem));
            return true;
        }

        resolution = default;
        pin = new PinInput(evaluation, current, problem);
        return false;
    }

    private async ValueTask<VersionResolution> ResolvePinnedAsync(string key, string pinKey, SemanticVersion defaultValue, PinInput input, CancellationToken cancellationToken)
    {
        var (evaluation, current, problem) = input;
        try
        {
            // Read first: a round resolves its version more than once (start, each step, settlement), and finding the
            // pin needs no candidate pin built. Only a key without a pin goes on to the atomic add.
            var pin = await VersionPins.GetAsync(key, pinKey, cancellationToken).ConfigureAwait(false);
            if (pin is null && current is { } candidate)
            {
                var fresh = new VersionPin(
                    key, pinKey, evaluation.Variant!.String!, evaluation.Variant.Name, evaluation.Revision, evaluation.FlagVersion, evaluation.Reason,
                    _options.TimeProvider.GetUtcNow());
                pin = await VersionPins.GetOrAddAsync(fresh, cancellationToken).ConfigureAwait(false);
                if (ReferenceEquals(pin, fresh))
                {
                    return Record(new VersionResolution(
                        key, candidate, VersionSource.PinCreated, evaluation.Reason, fresh.Variant, fresh.Revision, fresh.FlagVersion, pinKey, fresh.PinnedAt, null));
                }
            }

            if (pin is null)
            {
                return Record(Default(key, evaluation, defaultValue, pinKey, problem));
            }

            // The pin usually holds the version the flag serves now (the same text): reuse its parsed form.
            SemanticVersion pinned;
            if (current is { } same && string.Equals(pin.Version, evaluation.Variant?.String, StringComparison.Ordinal))
            {
                pinned = same;
            }
            else if (!TryParsePinned(pin.Version, out pinned))
            {
                return Record(new VersionResolution(
                    key, current ?? defaultValue, VersionSource.PinStoreFailed, evaluation.Reason, evaluation.Variant?.Name, evaluation.Revision, evaluation.FlagVersion,
                    pinKey, null, $"The pin of '{pinKey}' holds '{pin.Version}', which is not a semantic version."));
            }

            return Record(new VersionResolution(
                key, pinned, VersionSource.Pinned, pin.EvaluationReason, pin.Variant, pin.Revision, pin.FlagVersion, pinKey, pin.PinnedAt, null));
        }
        catch (Exception ex)
        {
            return Record(new VersionResolution(
                key, current ?? defaultValue, VersionSource.PinStoreFailed, evaluation.Reason, evaluation.Variant?.Name, evaluation.Revision, evaluation.FlagVersion,
                pinKey, null, $"The version pin store failed: {ex.GetType().Name}: {ex.Message}"));
        }
    }

    /// <summary>
    /// Resolves a version flag for a replay: returns <paramref name="recordedVersion"/> (for example the
    /// <c>calcVer</c> recorded in a disputed round's settled event) without reading the flag or any pin, so the round
    /// re-runs on exactly the engine it was settled with.
    /// </summary>
    /// <param name="key">The version flag's key (for telemetry and the result).</param>
    /// <param name="recordedVersion">The version recorded when the round was played.</param>
    /// <returns>The recorded version with <see cref="VersionSource.Replay"/>.</returns>
    /// <remarks>Never throws.</remarks>
    public VersionResolution GetVersionForReplay(string key, SemanticVersion recordedVersion) =>
        Record(new VersionResolution(key, recordedVersion, VersionSource.Replay, EvaluationReason.Default, null, 0, 0, null, null, null));

    private static VersionResolution Default(string key, in FlagEvaluation evaluation, SemanticVersion defaultValue, string? pinKey, string? problem)
    {
        var reason = problem is not null && evaluation.Reason is not EvaluationReason.Error and not EvaluationReason.FlagNotFound
            ? EvaluationReason.Error
            : evaluation.Reason;
        problem ??= evaluation.Reason switch
        {
            EvaluationReason.FlagNotFound => $"Flag '{key}' does not exist.",
            EvaluationReason.Error => $"Flag '{key}' could not be evaluated ({evaluation.ErrorCode}).",
            _ => null,
        };
        return new VersionResolution(key, defaultValue, VersionSource.Default, reason, null, evaluation.Revision, evaluation.FlagVersion, pinKey, null, problem);
    }

    private static VersionResolution Record(VersionResolution resolution)
    {
        var counter = VersioningTelemetry.VersionResolutions;
        if (counter.Enabled)
        {
            counter.Add(1, VersioningTelemetry.Tags(
            [
                new("flagkit.flag.key", resolution.FlagKey),
                new("flagkit.version", resolution.Version.ToString()),
                new("flagkit.version.source", resolution.Source.ToString()),
            ]));
        }

        return resolution;
    }

    // A pin's version text that is not the flag's current one (a pin from before a change, or from a durable store).
    private bool TryParsePinned(string? text, out SemanticVersion version)
    {
        if (text is null)
        {
            version = default;
            return false;
        }

        if (_parsedVersions.TryGetValue(text, out version))
        {
            return true;
        }

        if (!SemanticVersion.TryParse(text, out version))
        {
            return false;
        }

        // Bounded in practice (variants of version flags); capped in case a pin store feeds arbitrary text.
        if (_parsedVersions.Count < 4096)
        {
            _parsedVersions.TryAdd(text, version);
        }

        return true;
    }

    /// <summary>What a pinned resolution starts from: the evaluation, its version (if it has one) and any problem.</summary>
    private readonly record struct PinInput(FlagEvaluation Evaluation, SemanticVersion? Current, string? Problem);
}
