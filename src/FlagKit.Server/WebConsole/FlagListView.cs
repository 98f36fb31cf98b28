using FlagKit.Server.Writes;

namespace FlagKit.Server.WebConsole;

/// <summary>The flag list: search, tag and state filters, one row per flag with its state, kill badge and rollout.</summary>
internal static class FlagListView
{
    /// <summary>The page's main content.</summary>
    /// <param name="request">The request.</param>
    /// <param name="state">The environment.</param>
    /// <param name="filter">The filters applied.</param>
    /// <param name="flags">The flags that pass them.</param>
    /// <returns>The markup.</returns>
    public static Html Render(ConsoleRequest request, EnvironmentState state, FlagFilter filter, IReadOnlyList<DocumentEntry> flags)
    {
        var tags = state.LiveFlags.SelectMany(e => e.Flag!.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var environments = request.Environments.Select(name => Html.Of($"""<option value="{name}"{Selected(name == state.Name)}>{name}</option>"""));
        var tagOptions = tags.Select(t => Html.Of($"""<option value="{t}"{Selected(t == filter.Tag)}>{t}</option>"""));
        var stateOptions = FlagFilter.States.Select(s => Html.Of($"""<option value="{s}"{Selected(s == filter.State)}>{s}</option>"""));
        var rows = flags.Count == 0
            ? Html.Of($"""<tr><td colspan="6">No flag matches.</td></tr>""")
            : Html.Join(flags.Select(e => Row(request, state, e)));
        return Html.Of($"""
            <h1>Flags in {state.Name}</h1>
            <form method="get" action="{ConsoleUrls.Flags}" class="filters" role="search" aria-label="Filter flags">
              <div><label for="q">Search flags</label><input id="q" name="q" type="search" value="{filter.Search}" autofocus></div>
              <div><label for="env">Environment</label><select id="env" name="env">{Html.Join(environments)}</select></div>
              <div><label for="tag">Tag</label><select id="tag" name="tag"><option value="">any</option>{Html.Join(tagOptions)}</select></div>
              <div><label for="state">State</label><select id="state" name="state"><option value="">any</option>{Html.Join(stateOptions)}</select></div>
              <div><button type="submit">Filter</button></div>
            </form>
            <p class="count">{flags.Count} of {state.LiveFlags.Count()} flags · revision {state.Revision}</p>
            {KillByTag(request, state, filter, flags.Count)}
            <div class="table-wrap">
            <table class="flags">
              <caption>Flags in {state.Name}</caption>
              <thead><tr><th scope="col">Flag</th><th scope="col">State</th><th scope="col">Kill</th><th scope="col">Rollout</th><th scope="col">Tags</th><th scope="col">Last change</th></tr></thead>
              <tbody>{rows}</tbody>
            </table>
            </div>
            """);
    }

    private static Html Row(ConsoleRequest request, EnvironmentState state, DocumentEntry entry)
    {
        var flag = entry.Flag!;
        var flagState = FlagText.State(flag);
        var killedBy = FlagText.KilledBy(flag);
        var kill = killedBy.Length == 0 ? Html.Of($"""<span class="muted">—</span>""") : Html.Of($"""<span class="badge killed" title="{killedBy}">KILLED</span> <span class="small">{killedBy}</span>""");
        return Html.Of($"""
            <tr>
              <th scope="row"><a href="{ConsoleUrls.Flag(state.Name, flag.Key)}">{flag.Key}</a><div class="small">{flag.Description}</div></th>
              <td><span class="state {flagState}">{flagState}</span>{Toggle(request, state, entry)}</td>
              <td>{kill}</td>
              <td>{FlagText.Percent(FlagText.RolloutPercent(flag))}<div class="small">{FlagText.Serve(flag.DefaultRule.Variant, flag.DefaultRule.Split)}</div></td>
              <td>{string.Join(", ", flag.Tags)}</td>
              <td>r{entry.Stored.Revision} by {entry.Stored.UpdatedBy}</td>
            </tr>
            """);
    }

    /// <summary>An admin's on/off button in the row, named for the flag and the environment; back to this same list.</summary>
    private static Html Toggle(ConsoleRequest request, EnvironmentState state, DocumentEntry entry)
    {
        if (request.User is not { IsAdmin: true } || FlagText.State(entry.Flag!) == "killed")
        {
            return Html.Empty;
        }

        var on = entry.Flag!.On;
        return Html.Of($"""
            <form method="post" action="{FlagWriteEndpoints.Url(state.Name, entry.Stored.Key, "state")}" class="row-toggle">
              {FlagControls.Common(request, entry)}<input type="hidden" name="back" value="{request.PathAndQuery}">
              <button type="submit" name="change" value="{(on ? "disable" : "enable")}">{(on ? "Disable" : "Enable")} {entry.Stored.Key} in {state.Name}</button>
            </form>
            """);
    }

    /// <summary>With a tag filter, an admin may kill every flag carrying the tag: one confirmation, one history entry per flag.</summary>
    private static Html KillByTag(ConsoleRequest request, EnvironmentState state, FlagFilter filter, int count)
    {
        if (request.User is not { IsAdmin: true } || filter.Tag is null || count == 0)
        {
            return Html.Empty;
        }

        return Html.Of($"""
            <form method="post" action="{ConsoleUrls.With(ConsoleUrls.Root + "/kill-tag", ("env", state.Name))}" class="control kill tag-kill">
              {request.Antiforgery}<input type="hidden" name="tag" value="{filter.Tag}">
              <label for="confirm-tag">Type {filter.Tag} to confirm killing every flag tagged {filter.Tag} in {state.Name}</label>
              <input id="confirm-tag" name="confirm" autocomplete="off" spellcheck="false" required>
              <label for="comment-tag">Reason (kill by tag)</label><input id="comment-tag" name="comment" autocomplete="off">
              <button type="submit" class="danger">Kill every flag tagged {filter.Tag} in {state.Name}</button>
            </form>
            """);
    }

    private static Html Selected(bool selected) => selected ? new Html(" selected") : Html.Empty;
}
