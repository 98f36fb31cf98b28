using System.Globalization;
using FlagKit.Cli.Output;
using FlagKit.Modes;
using FlagKit.Protocol.V1;
using Google.Protobuf;

namespace FlagKit.Cli.Commands;

/// <summary>What the mode commands share: reading <c>--scope</c> and times, and showing modes (with the SDK's own compiler).</summary>
internal static class ModeView
{
    /// <summary><c>region=eu|uk,game=x</c> as scope terms.</summary>
    /// <param name="text">The option's value; null or empty: everyone.</param>
    /// <returns>The terms.</returns>
    /// <exception cref="CommandFailedException">Usage: not attribute=value pairs, or an attribute twice.</exception>
    public static List<ModeScopeTerm> ParseScope(string? text)
    {
        var terms = new List<ModeScopeTerm>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return terms;
        }

        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var values = eq > 0 ? part[(eq + 1)..].Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];
            if (values.Length == 0)
            {
                throw new CommandFailedException(ExitCodes.Usage, $"--scope '{text}': '{part}' is not attribute=value (e.g. region=eu|uk,game=book-of-ra).");
            }

            var attribute = part[..eq].Trim();
            if (terms.Exists(t => t.Attribute == attribute))
            {
                throw new CommandFailedException(ExitCodes.Usage, $"--scope '{text}': '{attribute}' is named twice; list its values with | (region=eu|uk).");
            }

            terms.Add(new ModeScopeTerm { Attribute = attribute, Values = { values } });
        }

        return terms;
    }

    /// <summary>A time given as an instant (<c>2026-12-05T02:00Z</c>) or a duration from <paramref name="from"/> (<c>30m</c>).</summary>
    /// <param name="option">The option, for the message.</param>
    /// <param name="text">The value.</param>
    /// <param name="from">What a duration counts from.</param>
    /// <returns>The instant (UTC).</returns>
    /// <exception cref="CommandFailedException">Usage: neither.</exception>
    public static DateTimeOffset ParseWhen(string option, string text, DateTimeOffset from)
    {
        if (Format.TryParseDuration(text, out var duration))
        {
            return from + duration;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant)
            ? instant
            : throw new CommandFailedException(ExitCodes.Usage, $"{option} '{text}' is neither a time (2026-12-05T02:00Z) nor a duration (30m, 2h).");
    }

    /// <summary>The modes as <c>--json</c> shows them, with the mode for everyone at <paramref name="now"/>.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="version">The modes' version.</param>
    /// <param name="json">The mode document.</param>
    /// <param name="now">Now.</param>
    /// <returns>The shape.</returns>
    public static ModesJson Describe(string environment, long version, ByteString json, DateTimeOffset now)
    {
        var document = ModeJson.Parse(json.Span);
        var table = ModeCompiler.Compile(document, version);
        var status = table.Evaluate(null, now);
        var next = table.NextWindow(null, now);
        var windows = (document.Windows ?? []).Select(Window).ToList();
        return new ModesJson(
            environment, version, ModeCompiler.NameOf(status.Mode), status.Until, status.Message,
            next is null ? null : windows.Find(w => w.Id == next.Id),
            (document.Switches ?? []).Select(s => new ModeSwitchJson(s.Id!, s.Mode!, Scope(s.Scope), s.Until, s.By, s.Reason, s.At)).ToList(),
            windows);
    }

    /// <summary>Prints the modes for a human: the mode now, the next window, then each switch and window.</summary>
    /// <param name="modes">The modes.</param>
    /// <param name="now">Now.</param>
    /// <param name="writer">Where.</param>
    public static void Write(ModesJson modes, DateTimeOffset now, TextWriter writer)
    {
        writer.WriteLine($"mode: {Line(modes)}");
        writer.WriteLine($"next window: {(modes.NextWindow is { } w ? WindowLine(w, now) : "none announced")}");
        foreach (var s in modes.Switches)
        {
            writer.WriteLine($"  switch {s.Mode} for {s.Scope} {(s.Until is { } u ? "until " + Format.Time(u) : "until switched off")} (by {s.By ?? "-"}{(string.IsNullOrEmpty(s.Reason) ? "" : ": " + s.Reason)})");
        }

        foreach (var window in modes.Windows)
        {
            writer.WriteLine($"  window {WindowLine(window, now)}");
        }
    }

    /// <summary>The mode for everyone in one line: <c>read-only until 2026-12-01 17:30:00Z</c>.</summary>
    /// <param name="modes">The modes.</param>
    /// <returns>The text.</returns>
    public static string Line(ModesJson modes) =>
        modes.Mode + (modes.Until is { } until ? " until " + Format.Time(until) : modes.Mode == "normal" ? "" : " until switched off")
        + (string.IsNullOrEmpty(modes.Message) ? "" : $" ({modes.Message})")
        + (modes.Switches.Exists(s => s.Scope != ModeScopeText) ? " for everyone; scoped switches below" : "");

    private const string ModeScopeText = "everyone";

    private static string WindowLine(MaintenanceWindowJson w, DateTimeOffset now)
    {
        var when = w.Start <= now ? $"in force until {Format.Time(w.End)}" : $"in {In(w.Start - now)}: {Format.Time(w.Start)} – {Format.Time(w.End)}";
        return $"{w.Id} {w.Mode} for {w.Scope} {when}{(w.Message.Length > 0 ? $" \"{w.Message}\"" : "")}";
    }

    /// <summary>A wait for a human: <c>45s</c>, <c>12 minutes</c>, <c>3h 10m</c>.</summary>
    /// <param name="wait">The wait.</param>
    /// <returns>The text.</returns>
    internal static string In(TimeSpan wait) => wait.TotalSeconds < 90
        ? $"{Math.Ceiling(wait.TotalSeconds):0}s"
        : wait.TotalMinutes < 120 ? $"{Math.Round(wait.TotalMinutes):0} minutes" : $"{Math.Floor(wait.TotalHours):0}h {wait.Minutes}m";

    private static MaintenanceWindowJson Window(MaintenanceWindowDocument w) =>
        new(w.Id!, w.Mode ?? ModeCompiler.Maintenance, Scope(w.Scope), w.Start!.Value, w.End!.Value, w.Message ?? "", w.By, w.Reason, w.At);

    private static string Scope(Dictionary<string, List<string>>? scope) =>
        scope is null || scope.Count == 0 ? ModeScopeText : string.Join(",", scope.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={string.Join("|", p.Value)}"));
}
