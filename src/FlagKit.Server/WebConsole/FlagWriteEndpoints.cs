using System.Globalization;
using System.Text.Json;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;
using Microsoft.AspNetCore.Mvc;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// The console's writes: enable, disable, kill (confirmed by typing the key), unkill, rollout, JSON edit, rollback,
/// kill by tag. Each needs an admin session (a viewer gets 403) and an antiforgery token, checks that the page was
/// not stale, then calls the admin service's own method (<see cref="ConsoleWrites"/>).
/// </summary>
internal static class FlagWriteEndpoints
{
    /// <summary>Maps the writes.</summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app)
    {
        var writes = app.MapGroup(ConsoleUrls.Root).RequireAuthorization(ConsoleAuth.WritePolicy).AddEndpointFilter(ConsoleAntiforgery.Validate).DisableAntiforgery();
        writes.MapPost("/flags/{key}/state", SetStateAsync);
        writes.MapPost("/flags/{key}/rollout", RolloutAsync);
        writes.MapPost("/flags/{key}/edit", EditAsync);
        writes.MapPost("/flags/{key}/rollback", RollbackAsync);
        writes.MapPost("/kill-tag", (Delegate)KillTagAsync);
        app.MapGet(ConsoleUrls.Root + "/api/rollout-preview", Preview).RequireAuthorization(ConsoleAuth.ReadPolicy);
    }

    /// <summary>The address of a flag's write.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="key">The flag.</param>
    /// <param name="action"><c>state</c>, <c>rollout</c>, <c>edit</c>, <c>rollback</c>.</param>
    /// <returns>The URL.</returns>
    public static string Url(string environment, string key, string action) =>
        ConsoleUrls.With($"{ConsoleUrls.Flags}/{Uri.EscapeDataString(key)}/{action}", ("env", environment));

    private static async Task<IResult> SetStateAsync(HttpContext http, string key)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        var change = form["change"].ToString() switch
        {
            "enable" => FlagStateChange.Enable,
            "disable" => FlagStateChange.Disable,
            "kill" => FlagStateChange.Kill,
            "unkill" => FlagStateChange.Unkill,
            _ => FlagStateChange.Unspecified,
        };
        return await WriteFlagAsync(http, key, form, "SetFlagState", (state, entry) =>
        {
            if (change == FlagStateChange.Unspecified)
            {
                return "Choose enable, disable, kill or unkill.";
            }

            return change == FlagStateChange.Kill && form["confirm"].ToString().Trim() != key
                ? $"Not killed: type the flag key '{key}' exactly to confirm the kill."
                : null;
        }, (service, call, state) => service.SetFlagState(new SetFlagStateRequest
        {
            Environment = state.Name,
            Key = key,
            Change = change,
            Options = ConsoleWrites.Options(state.Revision, form["comment"]),
        }, call), change.ToString().ToLowerInvariant() switch { "enable" => "enabled", "disable" => "disabled", "kill" => "killed", _ => "unkilled" }).ConfigureAwait(false);
    }

    private static async Task<IResult> RolloutAsync(HttpContext http, string key)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        var valid = double.TryParse(form["percent"], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100;
        return await WriteFlagAsync(http, key, form, "SetRollout",
            (_, _) => valid ? null : "The rollout must be a number from 0 to 100.",
            (service, call, state) => service.SetRollout(new SetRolloutRequest
            {
                Environment = state.Name,
                Key = key,
                Percent = percent,
                Options = ConsoleWrites.Options(state.Revision, form["comment"]),
            }, call), "rollout").ConfigureAwait(false);
    }

    private static async Task<IResult> EditAsync(HttpContext http, string key)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        var json = form["json"].ToString();
        return await WriteFlagAsync(http, key, form, "PutDocument",
            (_, _) => KeyOf(json) is { } other && other != key ? $"The key cannot change here ('{key}' → '{other}'): create the new flag with the CLI." : null,
            (service, call, state) => service.PutDocument(new PutDocumentRequest
            {
                Environment = state.Name,
                Kind = DocumentKind.Flag,
                Json = Google.Protobuf.ByteString.CopyFromUtf8(json),
                Options = ConsoleWrites.Options(state.Revision, form["comment"]),
            }, call), "edited", editorText: json).ConfigureAwait(false);
    }

    private static async Task<IResult> RollbackAsync(HttpContext http, string key)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        var valid = long.TryParse(form["revision"], NumberStyles.None, CultureInfo.InvariantCulture, out var revision);
        return await WriteFlagAsync(http, key, form, "Rollback",
            (_, _) => valid ? null : "Choose the revision to roll back to.",
            (service, call, state) => service.Rollback(new RollbackRequest
            {
                Environment = state.Name,
                Kind = DocumentKind.Flag,
                Key = key,
                ToRevision = revision,
                Options = ConsoleWrites.Options(state.Revision, form["comment"]),
            }, call), "rolled-back").ConfigureAwait(false);
    }

    private static async Task<IResult> KillTagAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        if (ConsolePages.ResolveEnvironment(http, out var state) is { } notFound)
        {
            return notFound;
        }

        var tag = form["tag"].ToString();
        if (string.IsNullOrEmpty(tag) || form["confirm"].ToString().Trim() != tag)
        {
            return ConsolePages.FlagListPage(http, state, $"Not killed: type the tag '{tag}' exactly to confirm killing every flag that carries it.", StatusCodes.Status400BadRequest);
        }

        var result = await ConsoleWrites.RunAsync(http, "SetFlagState", (service, call) => service.SetFlagState(new SetFlagStateRequest
        {
            Environment = state.Name,
            Tag = tag,
            Change = FlagStateChange.Kill,
            Options = ConsoleWrites.Options(state.Revision, form["comment"]),
        }, call)).ConfigureAwait(false);
        if (result.Response is null)
        {
            return ConsolePages.FlagListPage(http, state, result.Error, result.Stale ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
        }

        return Results.Redirect(ConsoleUrls.With(ConsoleUrls.Flags, ("env", state.Name), ("tag", tag), ("saved", "killed-tag"), ("revision", result.Response.Revision.ToString(CultureInfo.InvariantCulture))));
    }

    /// <summary>
    /// The common shape of a flag write: the flag exists, the page was not stale (the flag's revision it was rendered
    /// from is still current), the form is valid, then the admin method; back to the flag page (or the list).
    /// </summary>
    private static async Task<IResult> WriteFlagAsync(
        HttpContext http, string key, IFormCollection form, string method,
        Func<EnvironmentState, DocumentEntry, string?> validate,
        Func<Admin.FlagAdminService, Grpc.Core.ServerCallContext, EnvironmentState, Task<WriteResponse>> call,
        string saved, string? editorText = null)
    {
        if (ConsolePages.ResolveEnvironment(http, out var state) is { } notFound)
        {
            return notFound;
        }

        if (state.Find(DocumentKind.Flag, key) is not { IsLive: true } entry)
        {
            return Results.NotFound();
        }

        if (!long.TryParse(form["seen"], NumberStyles.None, CultureInfo.InvariantCulture, out var seen) || seen != entry.Stored.Revision)
        {
            return ConsolePages.FlagPage(http, state, entry, StaleMessage(http, state, key, seen), StatusCodes.Status409Conflict, editorText);
        }

        if (validate(state, entry) is { } problem)
        {
            return ConsolePages.FlagPage(http, state, entry, problem, StatusCodes.Status400BadRequest, editorText, editorError: method == "PutDocument");
        }

        var result = await ConsoleWrites.RunAsync(http, method, (service, context) => call(service, context, state)).ConfigureAwait(false);
        if (result.Response is null)
        {
            var now = http.RequestServices.GetRequiredService<EnvironmentCatalog>().Get(state.Name);
            var current = now.Find(DocumentKind.Flag, key) is { IsLive: true } e ? e : entry;
            var message = result.Stale ? StaleMessage(http, now, key, seen) : result.Error;
            return ConsolePages.FlagPage(http, now, current, message, result.Stale ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest,
                editorText, editorError: !result.Stale && method == "PutDocument");
        }

        var revision = result.Response.Revision.ToString(CultureInfo.InvariantCulture);
        var back = form["back"].ToString();
        return Results.Redirect(ConsoleUrls.IsConsolePath(back)
            ? back
            : ConsoleUrls.With($"{ConsoleUrls.Flags}/{Uri.EscapeDataString(key)}", ("env", state.Name), ("saved", saved), ("revision", revision)));
    }

    /// <summary>"Not saved: this page was out of date. Since you loaded it: revision 12, ops-lead: updated: …".</summary>
    private static string StaleMessage(HttpContext http, EnvironmentState state, string key, long seen)
    {
        var db = http.RequestServices.GetRequiredService<IHistoryStore>();
        var changes = db.GetHistory(state.Record.Id, key, 5, 0).Where(h => h.Revision > seen)
            .Select(h => $"revision {h.Revision.ToString(CultureInfo.InvariantCulture)}, {h.Author}: {h.Action}: {h.Summary}");
        return $"Not saved: this page was out of date. Since you loaded it, {key} changed ({string.Join("; ", changes)}). The page now shows the current flag; check it and try again.";
    }

    private static IResult Preview(HttpContext http, [FromQuery] string? key, [FromQuery] double? percent)
    {
        if (ConsolePages.ResolveEnvironment(http, out var state) is not null || key is null || percent is not (>= 0 and <= 100))
        {
            return Results.BadRequest();
        }

        try
        {
            var served = ConsoleSimulation.RolloutPreview(state, key, percent.Value);
            return Results.Json(new RolloutPreviewJson(percent.Value, served, ConsoleSimulation.SampleAccounts, ConsoleSimulation.PreviewText(served)), ConsoleJsonContext.Default.RolloutPreviewJson);
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or WriteRefusedException)
        {
            return Results.Json(new RolloutPreviewJson(percent.Value, 0, 0, "No preview: " + (e is Grpc.Core.RpcException r ? r.Status.Detail : e.Message)), ConsoleJsonContext.Default.RolloutPreviewJson);
        }
    }

    private static string? KeyOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
