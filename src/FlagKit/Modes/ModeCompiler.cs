using FlagKit.Evaluation;

namespace FlagKit.Modes;

/// <summary>
/// Validates a mode document and compiles it into a <see cref="ModeTable"/>: the one validator the SDK, the server
/// (before it stores a change) and the CLI share. Every limit is checked before the work it limits.
/// </summary>
internal static class ModeCompiler
{
    /// <summary>The mode document schema this SDK reads.</summary>
    public const int CurrentSchema = 1;

    /// <summary>Most switches one environment may hold.</summary>
    public const int MaxSwitches = 64;

    /// <summary>Most windows one environment may hold.</summary>
    public const int MaxWindows = 64;

    /// <summary>Most attributes in one scope.</summary>
    public const int MaxScopeAttributes = 8;

    /// <summary>Most values for one scope attribute.</summary>
    public const int MaxScopeValues = 100;

    /// <summary>Longest id, attribute name, scope value or author.</summary>
    public const int MaxText = 256;

    /// <summary>Longest message or reason.</summary>
    public const int MaxMessage = 1000;

    /// <summary>The JSON name of read-only.</summary>
    public const string ReadOnly = "read-only";

    /// <summary>The JSON name of maintenance.</summary>
    public const string Maintenance = "maintenance";

    /// <summary>Parses and compiles mode JSON.</summary>
    /// <param name="utf8">The document.</param>
    /// <param name="version">Its version.</param>
    /// <returns>The table.</returns>
    /// <exception cref="FlagValidationException">The document is invalid: every error with its JSON path.</exception>
    public static ModeTable Compile(ReadOnlySpan<byte> utf8, long version) => Compile(ModeJson.Parse(utf8), version);

    /// <summary>Validates and compiles a parsed document.</summary>
    /// <param name="document">The document.</param>
    /// <param name="version">Its version.</param>
    /// <returns>The table.</returns>
    /// <exception cref="FlagValidationException">The document is invalid: every error with its JSON path.</exception>
    public static ModeTable Compile(ModeDocument document, long version)
    {
        var errors = new List<FlagValidationError>();
        if (document.Schema != CurrentSchema)
        {
            throw ModeJson.Error("$.schema", $"unsupported mode schema {document.Schema}; this SDK reads schema {CurrentSchema}");
        }

        var switches = document.Switches ?? [];
        var windows = document.Windows ?? [];
        if (switches.Count > MaxSwitches)
        {
            throw ModeJson.Error("$.switches", $"{switches.Count} switches; the limit is {MaxSwitches}");
        }

        if (windows.Count > MaxWindows)
        {
            throw ModeJson.Error("$.windows", $"{windows.Count} windows; the limit is {MaxWindows}");
        }

        var entries = new List<ModeEntry>(switches.Count + windows.Count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < switches.Count; i++)
        {
            if (CompileSwitch(switches[i], $"$.switches[{i}]", ids, errors) is { } entry)
            {
                entries.Add(entry);
            }
        }

        ids.Clear();
        for (var i = 0; i < windows.Count; i++)
        {
            if (CompileWindow(windows[i], $"$.windows[{i}]", ids, errors) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return errors.Count == 0 ? new ModeTable(version, [.. entries]) : throw new FlagValidationException(errors);
    }

    /// <summary>The mode a JSON name stands for.</summary>
    /// <param name="name"><c>read-only</c> or <c>maintenance</c>.</param>
    /// <param name="mode">The mode.</param>
    /// <returns>False for any other name.</returns>
    public static bool TryParseMode(string? name, out OperatingMode mode)
    {
        mode = name switch
        {
            ReadOnly => OperatingMode.ReadOnly,
            Maintenance => OperatingMode.Maintenance,
            _ => OperatingMode.Normal,
        };
        return mode != OperatingMode.Normal;
    }

    /// <summary>The JSON name of a mode.</summary>
    /// <param name="mode">Read-only or maintenance.</param>
    /// <returns>Its name.</returns>
    public static string NameOf(OperatingMode mode) => mode == OperatingMode.Maintenance ? Maintenance : mode == OperatingMode.ReadOnly ? ReadOnly : "normal";

    private static ModeEntry? CompileSwitch(ModeSwitchDocument s, string path, HashSet<string> ids, List<FlagValidationError> errors)
    {
        var before = errors.Count;
        CheckId(s.Id, path, ids, errors);
        if (!TryParseMode(s.Mode, out var mode))
        {
            errors.Add(new(ModeJson.DocumentName, path + ".mode", $"unknown mode '{s.Mode}'; expected '{ReadOnly}' or '{Maintenance}'"));
        }

        CheckText(s.By, path + ".by", MaxText, errors);
        CheckText(s.Reason, path + ".reason", MaxMessage, errors);
        var scope = CompileScope(s.Scope, path + ".scope", errors);
        return errors.Count != before
            ? null
            : new ModeEntry(mode, long.MinValue, s.Until?.UtcTicks ?? long.MaxValue, scope, null);
    }

    private static ModeEntry? CompileWindow(MaintenanceWindowDocument w, string path, HashSet<string> ids, List<FlagValidationError> errors)
    {
        var before = errors.Count;
        CheckId(w.Id, path, ids, errors);
        var mode = OperatingMode.Maintenance;
        if (w.Mode is not null && !TryParseMode(w.Mode, out mode))
        {
            errors.Add(new(ModeJson.DocumentName, path + ".mode", $"unknown mode '{w.Mode}'; expected '{ReadOnly}' or '{Maintenance}'"));
        }

        if (w.Start is null)
        {
            errors.Add(new(ModeJson.DocumentName, path + ".start", "a window needs a start time"));
        }

        if (w.End is null)
        {
            errors.Add(new(ModeJson.DocumentName, path + ".end", "a window needs an end time"));
        }
        else if (w.Start is { } start && w.End <= start)
        {
            errors.Add(new(ModeJson.DocumentName, path + ".end", $"the window ends ({w.End:O}) before it starts ({start:O})"));
        }

        CheckText(w.Message, path + ".message", MaxMessage, errors);
        CheckText(w.By, path + ".by", MaxText, errors);
        CheckText(w.Reason, path + ".reason", MaxMessage, errors);
        var scope = CompileScope(w.Scope, path + ".scope", errors);
        if (errors.Count != before)
        {
            return null;
        }

        var window = new MaintenanceWindow(w.Id!, mode, w.Start!.Value.ToUniversalTime(), w.End!.Value.ToUniversalTime(), w.Message ?? "");
        return new ModeEntry(mode, window.Start.UtcTicks, window.End.UtcTicks, scope, window);
    }

    private static void CheckId(string? id, string path, HashSet<string> ids, List<FlagValidationError> errors)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxText || id.Any(char.IsControl))
        {
            errors.Add(new(ModeJson.DocumentName, path + ".id", $"an id of 1 to {MaxText} printable characters is required"));
        }
        else if (!ids.Add(id))
        {
            errors.Add(new(ModeJson.DocumentName, path + ".id", $"id '{id}' is used twice"));
        }
    }

    private static void CheckText(string? text, string path, int max, List<FlagValidationError> errors)
    {
        if (text is not null && text.Length > max)
        {
            errors.Add(new(ModeJson.DocumentName, path, $"{text.Length} characters; the limit is {max}"));
        }
    }

    private static ModeScope CompileScope(Dictionary<string, List<string>>? scope, string path, List<FlagValidationError> errors)
    {
        if (scope is null || scope.Count == 0)
        {
            return ModeScope.Everyone;
        }

        if (scope.Count > MaxScopeAttributes)
        {
            errors.Add(new(ModeJson.DocumentName, path, $"{scope.Count} attributes; the limit is {MaxScopeAttributes}"));
            return ModeScope.Everyone;
        }

        var attributes = new List<AttributeRef>(scope.Count);
        var values = new List<string[]>(scope.Count);
        foreach (var (name, list) in scope.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var at = $"{path}.{name}";
            if (name.Length is 0 or > MaxText)
            {
                errors.Add(new(ModeJson.DocumentName, path, $"an attribute name of 1 to {MaxText} characters is required"));
                continue;
            }

            if (list is null || list.Count == 0 || list.Count > MaxScopeValues)
            {
                errors.Add(new(ModeJson.DocumentName, at, $"1 to {MaxScopeValues} values are required; found {list?.Count ?? 0}"));
                continue;
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (string.IsNullOrEmpty(list[i]) || list[i].Length > MaxText)
                {
                    errors.Add(new(ModeJson.DocumentName, $"{at}[{i}]", $"a value of 1 to {MaxText} characters is required"));
                }
            }

            attributes.Add(AttributeRef.Of(name));
            values.Add([.. list]);
        }

        return new ModeScope([.. attributes], [.. values]);
    }
}
