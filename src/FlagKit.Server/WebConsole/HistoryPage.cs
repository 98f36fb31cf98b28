using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// A flag's history: who changed what, when and why, and a side-by-side diff of the flag at any two revisions
/// (<c>?from=&amp;to=</c> in the URL).
/// </summary>
internal static class HistoryPage
{
    /// <summary>Rows shown.</summary>
    public const int Limit = 200;

    /// <summary>The history page of a flag.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="key">The flag.</param>
    /// <returns>The URL.</returns>
    public static string Url(string environment, string key) => ConsoleUrls.With($"{ConsoleUrls.Flags}/{Uri.EscapeDataString(key)}/history", ("env", environment));

    /// <summary>Maps the page.</summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app) => app.MapGet(ConsoleUrls.Flags + "/{key}/history", Render).RequireAuthorization(ConsoleAuth.ReadPolicy);

    /// <summary>The flag's history rows, newest first.</summary>
    /// <param name="db">The store.</param>
    /// <param name="state">The environment.</param>
    /// <param name="key">The flag.</param>
    /// <returns>The rows.</returns>
    public static IReadOnlyList<HistoryRecord> Rows(IHistoryStore db, EnvironmentState state, string key) =>
        db.GetHistory(state.Record.Id, key, Limit, 0).Where(h => h.Kind == DocumentKind.Flag).ToList();

    private static IResult Render(HttpContext context, string key, IHistoryStore db) => Page(context, key, db);

    /// <summary>The page.</summary>
    /// <param name="context">The request.</param>
    /// <param name="key">The flag.</param>
    /// <param name="db">The store.</param>
    /// <returns>The page.</returns>
    public static IResult Page(HttpContext context, string key, IHistoryStore db)
    {
        if (ConsolePages.ResolveEnvironment(context, out var state) is { } notFound)
        {
            return notFound;
        }

        var request = new ConsoleRequest(context);
        var rows = Rows(db, state, key);
        if (rows.Count == 0)
        {
            return request.Page("Not found", Html.Of($"""
                <h1>No history</h1>
                {ConsoleLayout.Message($"Flag '{key}' has no history in environment '{state.Name}'.", error: true)}
                """), state.Name, StatusCodes.Status404NotFound);
        }

        var to = Revision(request.Query("to")) ?? rows[0].Revision;
        var from = Revision(request.Query("from")) ?? rows.Select(r => r.Revision).FirstOrDefault(r => r < to, to);
        return request.Page($"History of {key}", Html.Of($"""
            <p class="crumbs"><a href="{ConsoleUrls.Flag(state.Name, key)}">{key}</a></p>
            <h1>History of {key} in {state.Name}</h1>
            <form method="get" action="{$"{ConsoleUrls.Flags}/{Uri.EscapeDataString(key)}/history"}">
              <input type="hidden" name="env" value="{state.Name}">
              <div class="table-wrap">
              <table class="history">
                <caption>Changes to {key}, newest first</caption>
                <thead><tr><th scope="col">Revision</th><th scope="col">When</th><th scope="col">Author</th><th scope="col">Change</th><th scope="col">Comment</th><th scope="col">Compare</th></tr></thead>
                <tbody>{Html.Join(rows.Select(r => Row(r, from, to)))}</tbody>
              </table>
              </div>
              <button type="submit">Compare</button>
            </form>
            {Rollback(request, state, key, rows)}
            {Diff(rows, from, to)}
            """), state.Name);
    }

    /// <summary>For admins: roll the flag back to any earlier revision where it existed (a new revision, by the admin path).</summary>
    private static Html Rollback(ConsoleRequest request, EnvironmentState state, string key, IReadOnlyList<HistoryRecord> rows)
    {
        if (request.User is not { IsAdmin: true } || state.Find(DocumentKind.Flag, key) is not { IsLive: true } entry)
        {
            return Html.Empty;
        }

        var buttons = rows.Skip(1).Where(r => r.After is not null).Select(r => Html.Of($"""
            <li><form method="post" action="{FlagWriteEndpoints.Url(state.Name, key, "rollback")}">
              {FlagControls.Common(request, entry)}<input type="hidden" name="revision" value="{r.Revision}">
              <button type="submit">Roll back {key} to revision {r.Revision}</button> <span class="small">{r.Summary}</span>
            </form></li>
            """));
        return Html.Of($"""
            <section aria-labelledby="rollback">
              <h2 id="rollback">Roll back</h2>
              <p class="help">The flag becomes what it was at that revision, as a new revision (history keeps both).</p>
              <ul class="rollback">{Html.Join(buttons)}</ul>
            </section>
            """);
    }

    private static Html Row(HistoryRecord row, long from, long to)
    {
        var revision = row.Revision.ToString(CultureInfo.InvariantCulture);
        return Html.Of($"""
            <tr>
              <th scope="row">{row.Revision}</th>
              <td>{row.Time.ToString("u", CultureInfo.InvariantCulture)}</td>
              <td>{row.Author}</td>
              <td>{row.Action}: {row.Summary}</td>
              <td>{row.Comment}</td>
              <td class="compare">
                <label><input type="radio" name="from" value="{revision}"{Checked(row.Revision == from)}> from r{revision}</label>
                <label><input type="radio" name="to" value="{revision}"{Checked(row.Revision == to)}> to r{revision}</label>
              </td>
            </tr>
            """);
    }

    private static Html Diff(IReadOnlyList<HistoryRecord> rows, long from, long to)
    {
        var left = Lines(At(rows, from));
        var right = Lines(At(rows, to));
        var diff = LineDiff.Compare(left, right);
        var changed = diff.Count(d => d.Changed);
        var body = Html.Join(diff.Select(d => Html.Of($"""
            <tr{(d.Changed ? new Html(" class=\"changed\"") : Html.Empty)}>
              <td class="mark">{(d.Left is null ? "" : d.Changed ? "−" : "")}</td><td><code>{d.Left ?? ""}</code></td>
              <td class="mark">{(d.Right is null ? "" : d.Changed ? "+" : "")}</td><td><code>{d.Right ?? ""}</code></td>
            </tr>
            """)));
        return Html.Of($"""
            <section aria-labelledby="diff">
              <h2 id="diff">Revision {from} → revision {to}</h2>
              <p class="count">{(changed == 0 ? "No difference." : $"{changed} changed lines (marked − and +).")}</p>
              <div class="table-wrap">
              <table class="diff">
                <caption>The flag at revision {from} (left) and at revision {to} (right)</caption>
                <thead><tr><th scope="col" colspan="2">Revision {from}</th><th scope="col" colspan="2">Revision {to}</th></tr></thead>
                <tbody>{body}</tbody>
              </table>
              </div>
            </section>
            """);
    }

    /// <summary>The flag's JSON as of a revision: the newest row at or before it (null: it did not exist or was archived).</summary>
    private static byte[]? At(IReadOnlyList<HistoryRecord> rows, long revision) =>
        rows.Where(r => r.Revision <= revision).OrderByDescending(r => r.Revision).FirstOrDefault()?.After;

    private static string[] Lines(byte[]? json) =>
        json is null ? ["(did not exist)"] : FlagView.Indented(json).Split('\n');

    private static long? Revision(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static Html Checked(bool value) => value ? new Html(" checked") : Html.Empty;
}
