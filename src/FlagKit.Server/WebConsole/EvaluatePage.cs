using FlagKit.Server.Writes;

namespace FlagKit.Server.WebConsole;

/// <summary>
/// The evaluation console: an environment, a flag and a context in; the variant, the reason and the matched rule (with
/// its segments) out, from the SDK's compiler and evaluator. Everything is in the URL, so a result can be linked.
/// </summary>
internal static class EvaluatePage
{
    /// <summary>The page's address.</summary>
    public const string Path = ConsoleUrls.Root + "/evaluate";

    /// <summary>Maps the page.</summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app) => app.MapGet(Path, Render).RequireAuthorization(ConsoleAuth.ReadPolicy);

    /// <summary>A link that opens the console on a flag.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="key">The flag.</param>
    /// <returns>The URL.</returns>
    public static string For(string environment, string key) => ConsoleUrls.With(Path, ("env", environment), ("flag", key), ("context", "{\"accountId\": \"acct-1\"}"));

    private static IResult Render(HttpContext context)
    {
        if (ConsolePages.ResolveEnvironment(context, out var state) is { } notFound)
        {
            return notFound;
        }

        var request = new ConsoleRequest(context);
        var key = request.Query("flag");
        var contextJson = request.Query("context") ?? "{\"accountId\": \"acct-1\"}";
        var result = Html.Empty;
        if (key is not null)
        {
            result = Result(state, key, contextJson);
        }

        var flags = state.LiveFlags.Select(e => Html.Of($"""<option value="{e.Stored.Key}"{(e.Stored.Key == key ? new Html(" selected") : Html.Empty)}>{e.Stored.Key}</option>"""));
        var environments = request.Environments.Select(name => Html.Of($"""<option value="{name}"{(name == state.Name ? new Html(" selected") : Html.Empty)}>{name}</option>"""));
        return request.Page("Evaluate", Html.Of($"""
            <h1>Evaluate a flag</h1>
            <form method="get" action="{Path}" class="evaluate">
              <div><label for="env">Environment</label><select id="env" name="env">{Html.Join(environments)}</select></div>
              <div><label for="flag">Flag</label><select id="flag" name="flag">{Html.Join(flags)}</select></div>
              <div><label for="context">Context (JSON)</label>
                <textarea id="context" name="context" rows="5" cols="60" spellcheck="false" aria-describedby="context-help">{contextJson}</textarea>
                <p id="context-help" class="help">Attributes as the SDK gets them: strings, numbers or booleans, e.g. accountId, country, plan.</p></div>
              <div><button type="submit" class="primary">Evaluate</button></div>
            </form>
            {result}
            """), state.Name);
    }

    private static Html Result(EnvironmentState state, string key, string contextJson)
    {
        EvaluationResult result;
        try
        {
            result = ConsoleSimulation.Evaluate(state, key, contextJson);
        }
        catch (ArgumentException e)
        {
            return ConsoleLayout.Message(e.Message, error: true);
        }
        catch (WriteRefusedException e)
        {
            return ConsoleLayout.Message($"Environment '{state.Name}' does not compile: {e.Message}", error: true);
        }

        var rule = result.RuleId is null ? "none" : $"{result.RuleId}: {result.RuleConditions}";
        return Html.Of($"""
            <section aria-labelledby="result">
              <h2 id="result">Result for {key} in {state.Name} (revision {state.Revision})</h2>
              <dl class="facts">
                <dt>Variant</dt><dd>{result.Variant ?? "(the caller's default)"}</dd>
                <dt>Value</dt><dd><code>{result.Value ?? "—"}</code></dd>
                <dt>Reason</dt><dd>{result.Reason}</dd>
                <dt>Matched rule</dt><dd>{rule}</dd>
              </dl>
            </section>
            """);
    }
}
