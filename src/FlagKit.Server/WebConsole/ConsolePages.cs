using FlagKit.Server.Configuration;
using FlagKit.Server.Sync;
using FlagKit.Server.Writes;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.WebConsole;

/// <summary>The read pages: environments, the flag list, a flag. Reads come from the last committed state.</summary>
internal static class ConsolePages
{
    /// <summary>Maps the pages (all need a session).</summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app)
    {
        app.MapGet(ConsoleUrls.Environments, Environments).RequireAuthorization(ConsoleAuth.ReadPolicy);
        app.MapGet(ConsoleUrls.Flags, FlagList).RequireAuthorization(ConsoleAuth.ReadPolicy);
        app.MapGet(ConsoleUrls.Flags + "/{key}", Flag).RequireAuthorization(ConsoleAuth.ReadPolicy);
    }

    /// <summary>
    /// The environment a page is about: <c>?env=</c>, else the configured default, else the first. Null (with a page
    /// saying why) when the named one does not exist.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="state">The environment's state.</param>
    /// <returns>Null when found, else the "not found" page.</returns>
    public static IResult? ResolveEnvironment(HttpContext context, out EnvironmentState state)
    {
        var catalog = context.RequestServices.GetRequiredService<EnvironmentCatalog>();
        var request = new ConsoleRequest(context);
        var name = request.Query("env") ?? context.RequestServices.GetRequiredService<IOptions<FlagServerOptions>>().Value.DefaultEnvironment;
        if (request.Query("env") is null && !catalog.Exists(name))
        {
            name = catalog.All.FirstOrDefault()?.Name ?? name;
        }

        if (!catalog.Exists(name))
        {
            state = null!;
            return request.Page("Not found", Html.Of($"""
                <h1>Environment not found</h1>
                {ConsoleLayout.Message($"Environment '{name}' does not exist.", error: true)}
                <p><a href="{ConsoleUrls.Environments}">All environments</a></p>
                """), status: StatusCodes.Status404NotFound);
        }

        state = catalog.Get(name);
        return null;
    }

    private static IResult Environments(HttpContext context, EnvironmentCatalog catalog, InstanceRegistry instances)
    {
        var request = new ConsoleRequest(context);
        var rows = Html.Join(catalog.All.Select(env => Html.Of($"""
            <tr>
              <th scope="row"><a href="{ConsoleUrls.With(ConsoleUrls.Flags, ("env", env.Name))}">{env.Name}</a></th>
              <td>{env.Revision}</td>
              <td>{env.LiveFlags.Count()}</td>
              <td>{env.LiveSegments.Count()}</td>
              <td>{env.LiveFlags.Count(f => f.Flag!.Killed || f.Flag.Kills is { Count: > 0 })}</td>
              <td>{instances.List(env.Name).Count}</td>
            </tr>
            """)));
        return request.Page("Environments", Html.Of($"""
            <h1>Environments</h1>
            <div class="table-wrap">
            <table>
              <caption>Every environment, its revision and what it holds</caption>
              <thead><tr><th scope="col">Environment</th><th scope="col">Revision</th><th scope="col">Flags</th><th scope="col">Segments</th><th scope="col">Killed flags</th><th scope="col">Connected SDKs</th></tr></thead>
              <tbody>{rows}</tbody>
            </table>
            </div>
            """));
    }

    private static IResult FlagList(HttpContext context)
    {
        if (ResolveEnvironment(context, out var state) is { } notFound)
        {
            return notFound;
        }

        return FlagListPage(context, state, null, StatusCodes.Status200OK);
    }

    /// <summary>The flag list, with a message (a refused write) or the notice of a saved one (<c>?saved=</c>).</summary>
    /// <param name="context">The request.</param>
    /// <param name="state">The environment.</param>
    /// <param name="error">An error to show, or null.</param>
    /// <param name="status">The HTTP status.</param>
    /// <returns>The page.</returns>
    public static IResult FlagListPage(HttpContext context, EnvironmentState state, string? error, int status)
    {
        var request = new ConsoleRequest(context);
        var filter = FlagFilter.From(request);
        var flags = state.LiveFlags.Where(e => filter.Matches(e.Flag!)).ToList();
        var message = error is not null ? ConsoleLayout.Message(error, error: true) : Saved(request);
        return request.Page("Flags", Html.Of($"{message}{FlagListView.Render(request, state, filter, flags)}"), state.Name, status);
    }

    /// <summary>A flag's page, with a message (a refused write) or the notice of a saved one.</summary>
    /// <param name="context">The request.</param>
    /// <param name="state">The environment.</param>
    /// <param name="entry">The flag.</param>
    /// <param name="error">An error to show, or null.</param>
    /// <param name="status">The HTTP status.</param>
    /// <param name="editorText">What the editor holds (the refused JSON), or null for the flag's own.</param>
    /// <param name="editorError">Whether the error belongs to the editor (shown inline there).</param>
    /// <returns>The page.</returns>
    public static IResult FlagPage(HttpContext context, EnvironmentState state, DocumentEntry entry, string? error, int status, string? editorText = null, bool editorError = false)
    {
        var request = new ConsoleRequest(context);
        var message = error is null ? Saved(request) : editorError ? Html.Empty : ConsoleLayout.Message(error, error: true);
        return request.Page(entry.Stored.Key, Html.Of($"{message}{FlagView.Render(request, state, entry, editorText, editorError ? error : null)}"), state.Name, status);
    }

    private static Html Saved(ConsoleRequest request)
    {
        var text = request.Query("saved") switch
        {
            "enabled" => "Enabled",
            "disabled" => "Disabled",
            "killed" => "Killed",
            "unkilled" => "Unkilled",
            "rollout" => "Rollout saved",
            "edited" => "Flag saved",
            "rolled-back" => "Rolled back",
            "killed-tag" => "Every flag with this tag killed",
            _ => null,
        };
        return text is null ? Html.Empty : ConsoleLayout.Message($"{text} (revision {request.Query("revision")}).", error: false);
    }

    private static IResult Flag(HttpContext context, string key)
    {
        if (ResolveEnvironment(context, out var state) is { } notFound)
        {
            return notFound;
        }

        var request = new ConsoleRequest(context);
        if (state.Find(Protocol.V1.DocumentKind.Flag, key) is not { IsLive: true } entry)
        {
            return request.Page("Not found", Html.Of($"""
                <h1>Flag not found</h1>
                {ConsoleLayout.Message($"Flag '{key}' does not exist in environment '{state.Name}'.", error: true)}
                <p><a href="{ConsoleUrls.With(ConsoleUrls.Flags, ("env", state.Name))}">All flags in {state.Name}</a></p>
                """), state.Name, StatusCodes.Status404NotFound);
        }

        return FlagPage(context, state, entry, null, StatusCodes.Status200OK);
    }
}
