using System.Text.Json;
using FlagKit.Server.Writes;

namespace FlagKit.Server.WebConsole;

/// <summary>A flag's page: state, kill sources, its targeting in the order it is evaluated, variants, raw JSON.</summary>
internal static class FlagView
{
    /// <summary>The page's main content.</summary>
    /// <param name="request">The request.</param>
    /// <param name="state">The environment.</param>
    /// <param name="entry">The flag.</param>
    /// <param name="editorText">The editor's text (a refused edit), or null for the flag's JSON.</param>
    /// <param name="editorError">The editor's inline error, or null.</param>
    /// <returns>The markup.</returns>
    public static Html Render(ConsoleRequest request, EnvironmentState state, DocumentEntry entry, string? editorText = null, string? editorError = null)
    {
        var flag = entry.Flag!;
        var flagState = FlagText.State(flag);
        var killedBy = FlagText.KilledBy(flag);
        return Html.Of($"""
            <p class="crumbs"><a href="{ConsoleUrls.With(ConsoleUrls.Flags, ("env", state.Name))}">Flags in {state.Name}</a></p>
            <h1>{flag.Key}</h1>
            <p class="description">{flag.Description}</p>
            <p class="actions"><a href="{HistoryPage.Url(state.Name, flag.Key)}">History of {flag.Key}</a> · <a href="{EvaluatePage.For(state.Name, flag.Key)}">Evaluate {flag.Key} for a context</a></p>
            <dl class="facts">
              <dt>State in {state.Name}</dt><dd><span class="state {flagState}">{flagState}</span></dd>
              <dt>Kill</dt><dd>{(killedBy.Length == 0 ? "not killed" : killedBy)}</dd>
              <dt>Rollout</dt><dd>{FlagText.Percent(FlagText.RolloutPercent(flag))}</dd>
              <dt>Kind</dt><dd>{flag.Kind.ToString().ToLowerInvariant()}</dd>
              <dt>Tags</dt><dd>{(flag.Tags.Count == 0 ? "none" : string.Join(", ", flag.Tags))}</dd>
              <dt>Owner</dt><dd>{flag.Metadata?.Owner ?? "—"}</dd>
              <dt>Version</dt><dd>{flag.Version} (revision {entry.Stored.Revision}, by {entry.Stored.UpdatedBy}, {entry.Stored.UpdatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture)})</dd>
            </dl>
            {(request.User is { IsAdmin: true } ? FlagControls.Render(request, state, entry, editorText, editorError) : Html.Empty)}
            <section aria-labelledby="targeting">
              <h2 id="targeting">Targeting, in evaluation order</h2>
              {Targeting(state, flag)}
            </section>
            <section aria-labelledby="variants">
              <h2 id="variants">Variants</h2>
              <div class="table-wrap"><table>
                <caption>Variants of {flag.Key}</caption>
                <thead><tr><th scope="col">Variant</th><th scope="col">Value</th></tr></thead>
                <tbody>{Html.Join(flag.Variants.Select(v => Html.Of($"""<tr><th scope="row">{v.Key}</th><td><code>{v.Value.GetRawText()}</code></td></tr>""")))}</tbody>
              </table></div>
            </section>
            <details class="raw">
              <summary>Raw JSON</summary>
              <pre><code>{Indented(entry.Stored.Json)}</code></pre>
            </details>
            """);
    }

    private static Html Targeting(EnvironmentState state, FlagKit.Documents.FlagDocument flag)
    {
        var steps = new List<Html>();
        if (FlagKit.Compilation.KillSources.IsKilled(flag))
        {
            steps.Add(Html.Of($"""<li><strong>Killed</strong>: everyone gets <code>{flag.OffVariant}</code> (nothing below applies).</li>"""));
        }
        else if (!flag.On)
        {
            steps.Add(Html.Of($"""<li><strong>Off</strong>: everyone gets <code>{flag.OffVariant}</code> (nothing below applies).</li>"""));
        }

        steps.AddRange(flag.Prerequisites.Select(p => Html.Of($"""<li>Prerequisite: flag <a href="{ConsoleUrls.Flag(state.Name, p.Flag)}">{p.Flag}</a> must serve <code>{p.Variant}</code>, else <code>{flag.OffVariant}</code>.</li>""")));
        steps.AddRange(flag.Targets.Where(t => t.Value.Count > 0).Select(t => Html.Of($"""<li>Individual targets: {string.Join(", ", t.Value)} get <code>{t.Key}</code>.</li>""")));
        steps.AddRange(flag.Rules.Select((r, i) => Html.Of($"""
            <li>Rule {r.Id ?? (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)}{(string.IsNullOrEmpty(r.Description) ? "" : " — " + r.Description)}: if {FlagText.Conditions(r.Conditions)} → serve <code>{FlagText.Serve(r.Variant, r.Split)}</code></li>
            """)));
        steps.AddRange(flag.Rules.SelectMany(r => r.Conditions).Where(c => c.Op == "inSegment")
            .SelectMany(c => c.Values).Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).Distinct(StringComparer.Ordinal)
            .Select(key => Segment(state, key)));
        steps.Add(Html.Of($"""<li>Default rule: everyone else → serve <code>{FlagText.Serve(flag.DefaultRule.Variant, flag.DefaultRule.Split)}</code></li>"""));
        steps.Add(Html.Of($"""<li>Off variant: <code>{flag.OffVariant}</code></li>"""));
        return Html.Of($"""<ol class="targeting">{Html.Join(steps)}</ol>""");
    }

    private static Html Segment(EnvironmentState state, string key)
    {
        if (state.Find(Protocol.V1.DocumentKind.Segment, key) is not { IsLive: true, Segment: { } segment })
        {
            return Html.Of($"""<li class="segment">Segment {key}: not found in {state.Name}.</li>""");
        }

        var rules = segment.Rules.Count == 0 ? "no rules" : string.Join(" or ", segment.Rules.Select(r => FlagText.Conditions(r.Conditions)));
        return Html.Of($"""
            <li class="segment">Segment <strong>{key}</strong>{(string.IsNullOrEmpty(segment.Description) ? "" : " — " + segment.Description)}: {rules}; included {segment.Included.Count}, excluded {segment.Excluded.Count}.</li>
            """);
    }

    /// <summary>JSON indented for reading.</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <returns>The text.</returns>
    public static string Indented(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.RootElement.WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
