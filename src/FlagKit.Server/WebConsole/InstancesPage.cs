using System.Globalization;
using FlagKit.Server.Sync;
using FlagKit.Server.Writes;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// Connected SDK instances of an environment: app, SDK version, applied revision and lag. The page refreshes its rows
/// from <c>/console/api/instances</c> every two seconds (console.js); without script it is a plain table.
/// </summary>
internal static class InstancesPage
{
    /// <summary>The page's address.</summary>
    public const string Path = ConsoleUrls.Root + "/instances";

    /// <summary>The JSON the page polls.</summary>
    public const string ApiPath = ConsoleUrls.Root + "/api/instances";

    /// <summary>Maps the page and its JSON.</summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app)
    {
        app.MapGet(Path, Render).RequireAuthorization(ConsoleAuth.ReadPolicy);
        app.MapGet(ApiPath, Json).RequireAuthorization(ConsoleAuth.ReadPolicy);
    }

    /// <summary>One row's cells, in column order (the page and the JSON share them).</summary>
    /// <param name="state">The environment.</param>
    /// <param name="instances">The registry.</param>
    /// <returns>The rows.</returns>
    public static IReadOnlyList<string[]> Rows(EnvironmentState state, InstanceRegistry instances) =>
        instances.List(state.Name).OrderBy(i => i.AppName, StringComparer.Ordinal).ThenBy(i => i.InstanceId, StringComparer.Ordinal).Select(i => new[]
        {
            i.InstanceId,
            string.IsNullOrEmpty(i.AppVersion) ? i.AppName : $"{i.AppName} {i.AppVersion}",
            $"{i.SdkName} {i.SdkVersion}",
            i.AckedRevision.ToString(CultureInfo.InvariantCulture),
            Lag(state.Revision - i.AckedRevision),
            i.ConnectedAt?.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture) ?? "",
        }).ToList();

    private static string Lag(long behind) => behind <= 0 ? "up to date" : behind == 1 ? "1 revision behind" : $"{behind} revisions behind";

    private static IResult Render(HttpContext context, InstanceRegistry instances)
    {
        if (ConsolePages.ResolveEnvironment(context, out var state) is { } notFound)
        {
            return notFound;
        }

        var request = new ConsoleRequest(context);
        var rows = Rows(state, instances);
        var body = rows.Count == 0
            ? Html.Of($"""<tr><td colspan="6">No SDK is connected to {state.Name}.</td></tr>""")
            : Html.Join(rows.Select(r => Html.Of($"""<tr><th scope="row">{r[0]}</th><td>{r[1]}</td><td>{r[2]}</td><td>{r[3]}</td><td>{r[4]}</td><td>{r[5]}</td></tr>""")));
        return request.Page("Instances", Html.Of($"""
            <h1>Instances in {state.Name}</h1>
            <p class="count">Environment revision <span data-live="revision">{state.Revision}</span> · refreshed every 2 s</p>
            <div class="table-wrap">
            <table data-poll="{ConsoleUrls.With(ApiPath, ("env", state.Name))}">
              <caption>SDKs connected to {state.Name}</caption>
              <thead><tr><th scope="col">Instance</th><th scope="col">App</th><th scope="col">SDK</th><th scope="col">Applied revision</th><th scope="col">Lag</th><th scope="col">Connected since</th></tr></thead>
              <tbody>{body}</tbody>
            </table>
            </div>
            """), state.Name);
    }

    private static IResult Json(HttpContext context, InstanceRegistry instances)
    {
        if (ConsolePages.ResolveEnvironment(context, out var state) is not null)
        {
            return Results.NotFound();
        }

        return Results.Json(new InstancesJson(state.Name, state.Revision, Rows(state, instances)), ConsoleJsonContext.Default.InstancesJson);
    }
}
