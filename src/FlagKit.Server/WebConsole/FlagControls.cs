using System.Globalization;
using FlagKit.Server.Writes;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// A flag's write controls, rendered for admins only: enable/disable, kill (type the key to confirm) or unkill, the
/// rollout slider with its preview, the JSON editor. Every form carries the antiforgery token and the flag's revision
/// the page was rendered from (<c>seen</c>), so a stale page is told what changed instead of overwriting it.
/// </summary>
internal static class FlagControls
{
    /// <summary>The controls.</summary>
    /// <param name="request">The request.</param>
    /// <param name="state">The environment.</param>
    /// <param name="entry">The flag.</param>
    /// <param name="editorText">The editor's text, or null for the flag's JSON.</param>
    /// <param name="editorError">The editor's inline error, or null.</param>
    /// <returns>The markup.</returns>
    public static Html Render(ConsoleRequest request, EnvironmentState state, DocumentEntry entry, string? editorText, string? editorError)
    {
        var flag = entry.Flag!;
        var key = flag.Key;
        var env = state.Name;
        var common = Common(request, entry);
        var killed = FlagKit.Compilation.KillSources.IsKilled(flag);
        var percent = FlagText.RolloutPercent(flag);
        var slider = Math.Round(percent).ToString(CultureInfo.InvariantCulture);
        string preview;
        try
        {
            preview = ConsoleSimulation.PreviewText(ConsoleSimulation.RolloutPreview(state, key, Math.Round(percent)));
        }
        catch (Grpc.Core.RpcException e)
        {
            preview = "No preview: " + e.Status.Detail;
        }
        catch (WriteRefusedException e)
        {
            preview = "No preview: " + e.Message;
        }

        var toggle = flag.On
            ? Html.Of($"""<button type="submit" name="change" value="disable">Disable {key} in {env}</button>""")
            : Html.Of($"""<button type="submit" name="change" value="enable" class="primary">Enable {key} in {env}</button>""");
        var kill = killed
            ? Html.Of($"""
                <form method="post" action="{FlagWriteEndpoints.Url(env, key, "state")}" class="control">
                  {common}
                  <label for="comment-unkill">Reason (unkill)</label><input id="comment-unkill" name="comment" autocomplete="off">
                  <button type="submit" name="change" value="unkill">Unkill {key} in {env}</button>
                </form>
                """)
            : Html.Of($"""
                <form method="post" action="{FlagWriteEndpoints.Url(env, key, "state")}" class="control kill">
                  {common}
                  <label for="confirm">Type {key} to confirm the kill</label>
                  <input id="confirm" name="confirm" autocomplete="off" spellcheck="false" required>
                  <label for="comment-kill">Reason (kill)</label><input id="comment-kill" name="comment" autocomplete="off">
                  <button type="submit" name="change" value="kill" class="danger">Kill {key} in {env}</button>
                </form>
                """);
        var invalid = editorError is null ? Html.Empty : new Html(" aria-invalid=\"true\"");
        var open = editorError is null ? Html.Empty : new Html(" open");
        return Html.Of($"""
            <section aria-labelledby="change" class="controls">
              <h2 id="change">Change {key} in {env}</h2>
              <form method="post" action="{FlagWriteEndpoints.Url(env, key, "state")}" class="control">
                {common}
                <label for="comment-state">Reason (on/off)</label><input id="comment-state" name="comment" autocomplete="off">
                {toggle}
              </form>
              {kill}
              <form method="post" action="{FlagWriteEndpoints.Url(env, key, "rollout")}" class="control rollout">
                {common}
                <label for="rollout">Rollout of {key} in {env}</label>
                <div class="slider"><input id="rollout" name="percent" type="range" min="0" max="100" step="1" value="{slider}" aria-describedby="rollout-preview"
                  data-preview="{ConsoleUrls.With(ConsoleUrls.Root + "/api/rollout-preview", ("env", env), ("key", key))}">
                <output id="rollout-value" for="rollout">{slider} %</output></div>
                <p id="rollout-preview" class="preview" aria-live="polite">{preview}</p>
                <label for="comment-rollout">Reason (rollout)</label><input id="comment-rollout" name="comment" autocomplete="off">
                <button type="submit" class="primary">Save rollout</button>
              </form>
              <details class="editor"{open}>
                <summary>Edit JSON</summary>
                <form method="post" action="{FlagWriteEndpoints.Url(env, key, "edit")}" class="control">
                  {common}
                  <label for="json">Flag JSON</label>
                  <textarea id="json" name="json" rows="18" spellcheck="false" aria-describedby="json-error"{invalid}>{editorText ?? FlagView.Indented(entry.Stored.Json)}</textarea>
                  <p id="json-error" class="field-error"{(editorError is null ? Html.Empty : new Html(" role=\"alert\""))}>{editorError}</p>
                  <label for="comment-edit">Reason (edit)</label><input id="comment-edit" name="comment" autocomplete="off">
                  <button type="submit" class="primary">Save JSON</button>
                </form>
              </details>
            </section>
            """);
    }

    /// <summary>The hidden fields every write form carries: antiforgery and the flag revision the page shows.</summary>
    /// <param name="request">The request.</param>
    /// <param name="entry">The flag.</param>
    /// <returns>The markup.</returns>
    public static Html Common(ConsoleRequest request, DocumentEntry entry) =>
        Html.Of($"""{request.Antiforgery}<input type="hidden" name="seen" value="{entry.Stored.Revision}">""");
}
