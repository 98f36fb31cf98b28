using System.Globalization;
using FlagKit.Compilation;
using FlagKit.Documents;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;

namespace FlagKit.Server.Writes;

/// <summary>
/// Plans for the operational writes: each reads the current state and returns the documents to put or archive.
/// Everything it returns is a private copy; the pipeline validates the result with the SDK's compiler.
/// </summary>
internal static class FlagEdits
{
    /// <summary>
    /// Enable / disable / kill / unkill one flag, or every live flag carrying a tag (one revision). A kill adds a source
    /// (the flag itself, the tag, or the incident named) with who, why and when; an unkill lifts only the source it names
    /// (or all of them), and the flag stays killed while another stands.
    /// </summary>
    /// <param name="state">The current state.</param>
    /// <param name="request">The request.</param>
    /// <param name="actor">Who writes (recorded with a kill).</param>
    /// <param name="now">When (recorded with a kill).</param>
    /// <returns>The edits.</returns>
    /// <exception cref="WriteRefusedException">Invalid or NotFound (the admin service maps it to INVALID_ARGUMENT or NOT_FOUND).</exception>
    public static IReadOnlyList<DocumentEdit> SetState(EnvironmentState state, SetFlagStateRequest request, string actor, DateTimeOffset now)
    {
        var source = StateSource(request);
        var targets = StateTargets(state, request, source);
        var reason = request.Options?.Comment ?? "";
        return targets.Select(e =>
        {
            var flag = DocumentCodec.Clone(e.Flag!);
            switch (request.Change)
            {
                case FlagStateChange.Enable: flag.On = true; break;
                case FlagStateChange.Disable: flag.On = false; break;
                case FlagStateChange.Kill: KillEdits.Add(flag, source!, actor, reason, now); break;
                case FlagStateChange.Unkill: KillEdits.Lift(flag, request.AllSources ? null : source); break;
            }

            return DocumentEdit.Put(flag);
        }).ToList();
    }

    // The kill source a kill / unkill names (the incident, else the tag, else the flag); null for enable / disable.
    private static string? StateSource(SetFlagStateRequest request)
    {
        var kill = request.Change is FlagStateChange.Kill or FlagStateChange.Unkill;
        if (request.Change == FlagStateChange.Unspecified)
        {
            throw Invalid("The state change is required (enable, disable, kill or unkill).");
        }

        if (!kill && (request.Incident.Length > 0 || request.AllSources))
        {
            throw Invalid("incident and all_sources apply to kill and unkill only.");
        }

        if (request.Change == FlagStateChange.Kill && request.AllSources)
        {
            throw Invalid("all_sources applies to unkill only.");
        }

        var neither = string.IsNullOrEmpty(request.Key) && string.IsNullOrEmpty(request.Tag);
        var both = !string.IsNullOrEmpty(request.Key) && !string.IsNullOrEmpty(request.Tag);
        if (both || (neither && !(request.Change == FlagStateChange.Unkill && request.Incident.Length > 0)))
        {
            throw Invalid("Give exactly one of key and tag (an unkill with an incident may give neither: every flag it holds down).");
        }

        if (!kill)
        {
            return null;
        }

        var source = request.Incident.Length > 0 ? KillSources.Incident(request.Incident)
            : !string.IsNullOrEmpty(request.Tag) ? KillSources.Tag(request.Tag)
            : KillSources.Flag;
        return KillSources.SourceProblem(source) is { } problem ? throw Invalid($"Bad kill source: {problem}.") : source;
    }

    private static List<DocumentEntry> StateTargets(EnvironmentState state, SetFlagStateRequest request, string? source)
    {
        if (!string.IsNullOrEmpty(request.Key))
        {
            return [LiveFlag(state, request.Key)];
        }

        // An unkill by tag also reaches a flag the tag's kill holds down although it no longer carries the tag.
        var unkill = request.Change == FlagStateChange.Unkill;
        var targets = !string.IsNullOrEmpty(request.Tag)
            ? state.LiveFlags.Where(e => e.Flag!.Tags.Contains(request.Tag, StringComparer.Ordinal) || (unkill && HeldBy(e.Flag, source))).ToList()
            : state.LiveFlags.Where(e => HeldBy(e.Flag!, source)).ToList();
        if (targets.Count == 0)
        {
            throw WriteRefusedException.NotFound(string.IsNullOrEmpty(request.Tag)
                ? $"No live flag in environment '{state.Name}' is killed by incident '{request.Incident}'."
                : $"No live flag in environment '{state.Name}' carries the tag '{request.Tag}'.");
        }

        return targets;
    }

    private static bool HeldBy(FlagDocument flag, string? source) =>
        source is not null && KillSources.Effective(flag).Any(k => k.Source == source);

    /// <summary>Sets the weights of a split: the default rule's, or a rule's by id.</summary>
    /// <param name="state">The current state.</param>
    /// <param name="request">The request.</param>
    /// <returns>The edit.</returns>
    /// <exception cref="WriteRefusedException">Invalid or NotFound.</exception>
    public static IReadOnlyList<DocumentEdit> SetRollout(EnvironmentState state, SetRolloutRequest request)
    {
        var flag = DocumentCodec.Clone(LiveFlag(state, request.Key).Flag!);
        string? servedVariant;
        SplitDocument? split;
        Action<string?, SplitDocument?> apply;
        if (string.IsNullOrEmpty(request.RuleId))
        {
            servedVariant = flag.DefaultRule.Variant;
            split = flag.DefaultRule.Split;
            apply = (v, s) => { flag.DefaultRule.Variant = v; flag.DefaultRule.Split = s; };
        }
        else
        {
            var rule = flag.Rules.FirstOrDefault(r => r.Id == request.RuleId)
                ?? throw WriteRefusedException.NotFound($"Flag '{flag.Key}' has no rule with id '{request.RuleId}'.");
            servedVariant = rule.Variant;
            split = rule.Split;
            apply = (v, s) => { rule.Variant = v; rule.Split = s; };
        }

        List<WeightedVariant> weights;
        if (request.Weights.Count > 0)
        {
            if (request.HasPercent)
            {
                throw Invalid("Give either weights or percent, not both.");
            }

            weights = request.Weights.Select(w => new WeightedVariant { Variant = w.Variant, Weight = w.Weight }).ToList();
            var sum = weights.Sum(w => w.Weight);
            // A weight that is not finite is left to the compiler, which names its JSON path.
            if (double.IsFinite(sum) && Math.Abs(sum - 100) > 0.000001)
            {
                throw Invalid($"The weights sum to {sum.ToString(CultureInfo.InvariantCulture)}%, not 100%.");
            }
        }
        else if (request.HasPercent)
        {
            if (request.Percent is < 0 or > 100 || double.IsNaN(request.Percent))
            {
                throw Invalid($"Percent must be 0..100, got {request.Percent.ToString(CultureInfo.InvariantCulture)}.");
            }

            var variant = string.IsNullOrEmpty(request.Variant) ? TwoVariantDefault(flag, split) : request.Variant;
            var other = OtherVariant(flag, split, variant, servedVariant);
            // Keep the existing order so that buckets stay where they are: raising 5% → 25% keeps the first 5% in.
            var ordered = split is not null && split.Variants.Count == 2 && split.Variants[1].Variant == variant
                ? new[] { (other, 100 - request.Percent), (variant, request.Percent) }
                : new[] { (variant, request.Percent), (other, 100 - request.Percent) };
            weights = ordered.Select(p => new WeightedVariant { Variant = p.Item1, Weight = Math.Round(p.Item2, 2) }).ToList();
        }
        else
        {
            throw Invalid("Give weights or percent.");
        }

        apply(null, new SplitDocument { BucketBy = split?.BucketBy, Salt = split?.Salt, Variants = weights });
        return [DocumentEdit.Put(flag)];
    }

    /// <summary>
    /// Adds / removes account ids from a variant's individual targets (an added id leaves other variants). Linear in
    /// the ids; the ids added are bounded by the document size limit before any work on the flag.
    /// </summary>
    /// <param name="state">The current state.</param>
    /// <param name="request">The request.</param>
    /// <param name="maxDocumentBytes">The document size limit (the added ids alone must fit in it).</param>
    /// <returns>The edit.</returns>
    /// <exception cref="WriteRefusedException">Invalid or NotFound.</exception>
    public static IReadOnlyList<DocumentEdit> SetTargets(EnvironmentState state, SetTargetsRequest request, int maxDocumentBytes)
    {
        if (string.IsNullOrEmpty(request.Variant))
        {
            throw Invalid("The variant is required.");
        }

        var add = DistinctIds(request, maxDocumentBytes);
        var flag = DocumentCodec.Clone(LiveFlag(state, request.Key).Flag!);
        var adding = add.ToHashSet(StringComparer.Ordinal);
        foreach (var (variant, ids) in flag.Targets)
        {
            if (variant != request.Variant)
            {
                ids.RemoveAll(adding.Contains);
            }
        }

        if (!flag.Targets.TryGetValue(request.Variant, out var list))
        {
            list = [];
            flag.Targets[request.Variant] = list;
        }

        var removing = request.Remove.ToHashSet(StringComparer.Ordinal);
        list.RemoveAll(removing.Contains);
        var present = list.ToHashSet(StringComparer.Ordinal);
        list.AddRange(add.Where(present.Add));
        foreach (var empty in flag.Targets.Where(p => p.Value.Count == 0).Select(p => p.Key).ToList())
        {
            flag.Targets.Remove(empty);
        }

        return [DocumentEdit.Put(flag)];
    }

    /// <summary>The ids to add, once each, in order; refused as soon as they alone would exceed the document limit.</summary>
    private static List<string> DistinctIds(SetTargetsRequest request, int maxDocumentBytes)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var add = new List<string>();
        long bytes = 0;
        foreach (var id in request.Add)
        {
            if (string.IsNullOrWhiteSpace(id) || !seen.Add(id))
            {
                continue;
            }

            add.Add(id);
            bytes += System.Text.Encoding.UTF8.GetByteCount(id) + 3; // "id",
            if (bytes > maxDocumentBytes)
            {
                throw Invalid(
                    $"Adding {request.Add.Count} account ids to flag '{request.Key}' would make it more than {maxDocumentBytes} bytes, the document limit " +
                    "(FlagKit:Server:MaxDocumentBytes); nothing was changed. Target fewer ids, or use a segment rule.");
            }
        }

        return add;
    }

    /// <summary>Applies a flags file: its documents are put; with <paramref name="prune"/>, live documents not in it are archived.</summary>
    /// <param name="state">The current state.</param>
    /// <param name="file">The parsed file.</param>
    /// <param name="prune">Archive what the file does not contain.</param>
    /// <returns>The edits.</returns>
    /// <exception cref="WriteRefusedException">Invalid for an unsupported schema.</exception>
    public static IReadOnlyList<DocumentEdit> ApplyFile(EnvironmentState state, FlagFile file, bool prune)
    {
        if (file.Schema != FlagFile.CurrentSchema)
        {
            throw Invalid($"The file has schema {file.Schema}; this server stores schema {FlagFile.CurrentSchema}.");
        }

        var edits = new List<DocumentEdit>();
        edits.AddRange(file.Segments.Select(DocumentEdit.Put));
        edits.AddRange(file.Flags.Select(DocumentEdit.Put));
        if (prune)
        {
            var flagKeys = file.Flags.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
            var segmentKeys = file.Segments.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
            edits.AddRange(state.LiveFlags.Where(e => !flagKeys.Contains(e.Stored.Key)).Select(e => DocumentEdit.Archive(DocumentKind.Flag, e.Stored.Key)));
            edits.AddRange(state.LiveSegments.Where(e => !segmentKeys.Contains(e.Stored.Key)).Select(e => DocumentEdit.Archive(DocumentKind.Segment, e.Stored.Key)));
        }

        return edits;
    }

    /// <summary>
    /// Rolls documents back to their state at a past revision (a new revision equal to the old state): every document
    /// when <paramref name="key"/> is empty, else one.
    /// </summary>
    /// <param name="state">The current state.</param>
    /// <param name="pastState">Each document's last history row at or before the target revision.</param>
    /// <param name="kind">The kind of the one document (unspecified: a flag if one has that key, else a segment).</param>
    /// <param name="key">The one document, or empty for the whole environment.</param>
    /// <returns>The edits.</returns>
    public static IReadOnlyList<DocumentEdit> Rollback(EnvironmentState state, IReadOnlyList<HistoryRecord> pastState, DocumentKind kind, string key)
    {
        var past = pastState.ToDictionary(h => (h.Kind, h.Key));
        IEnumerable<(DocumentKind Kind, string Key)> scope;
        if (string.IsNullOrEmpty(key))
        {
            scope = past.Keys
                .Concat(state.LiveFlags.Select(e => (DocumentKind.Flag, e.Stored.Key)))
                .Concat(state.LiveSegments.Select(e => (DocumentKind.Segment, e.Stored.Key)))
                .Distinct();
        }
        else
        {
            if (kind == DocumentKind.Unspecified)
            {
                kind = state.Find(DocumentKind.Flag, key) is not null || past.ContainsKey((DocumentKind.Flag, key)) ? DocumentKind.Flag : DocumentKind.Segment;
            }

            if (state.Find(kind, key) is null && !past.ContainsKey((kind, key)))
            {
                throw WriteRefusedException.NotFound($"{EnvironmentCatalog.KindName(kind)} '{key}' has no history in environment '{state.Name}'.");
            }

            scope = [(kind, key)];
        }

        var edits = new List<DocumentEdit>();
        foreach (var (k, docKey) in scope.OrderBy(s => s.Item1).ThenBy(s => s.Item2, StringComparer.Ordinal))
        {
            var then = past.TryGetValue((k, docKey), out var row) ? row.After : null;
            if (then is null)
            {
                edits.Add(DocumentEdit.Archive(k, docKey));
            }
            else if (k == DocumentKind.Flag)
            {
                edits.Add(DocumentEdit.Put(DocumentCodec.ParseFlag(then)));
            }
            else
            {
                edits.Add(DocumentEdit.Put(DocumentCodec.ParseSegment(then)));
            }
        }

        return edits;
    }

    private static DocumentEntry LiveFlag(EnvironmentState state, string key) =>
        state.Find(DocumentKind.Flag, key) is { IsLive: true } entry
            ? entry
            : throw WriteRefusedException.NotFound($"{EnvironmentCatalog.KindName(DocumentKind.Flag)} '{key}' does not exist in environment '{state.Name}'.");

    private static string TwoVariantDefault(FlagDocument flag, SplitDocument? split)
    {
        if (split is { Variants.Count: 2 })
        {
            return split.Variants[0].Variant;
        }

        var candidates = flag.Variants.Keys.Where(v => v != flag.OffVariant).ToList();
        return candidates.Count == 1
            ? candidates[0]
            : throw Invalid($"Flag '{flag.Key}' has {flag.Variants.Count} variants: name the variant that gets the percentage.");
    }

    private static string OtherVariant(FlagDocument flag, SplitDocument? split, string variant, string? served)
    {
        if (split is { Variants.Count: 2 } && split.Variants.Any(v => v.Variant == variant))
        {
            return split.Variants.First(v => v.Variant != variant).Variant;
        }

        if (flag.Variants.Count == 2)
        {
            return flag.Variants.Keys.First(v => v != variant);
        }

        if (served is not null && served != variant)
        {
            return served;
        }

        return flag.OffVariant != variant
            ? flag.OffVariant
            : throw Invalid($"Variant '{variant}' is the off variant of flag '{flag.Key}'; give explicit weights.");
    }

    private static WriteRefusedException Invalid(string message) => WriteRefusedException.Invalid(message);
}
