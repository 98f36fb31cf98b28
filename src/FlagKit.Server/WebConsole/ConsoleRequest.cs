using Microsoft.AspNetCore.Antiforgery;

namespace FlagKit.Server.WebConsole;

/// <summary>What a console page needs from its request: the signed-in user and the antiforgery field for its forms.</summary>
internal sealed class ConsoleRequest
{
    private readonly HttpContext _context;
    private Html? _antiforgery;

    /// <summary>Wraps a request.</summary>
    /// <param name="context">The request.</param>
    public ConsoleRequest(HttpContext context)
    {
        _context = context;
        User = ConsoleUser.From(context.User);
    }

    /// <summary>The signed-in user (null on the sign-in page).</summary>
    public ConsoleUser? User { get; }

    /// <summary>The signed-in user.</summary>
    /// <exception cref="InvalidOperationException">Not signed in (the endpoint's authorization should have refused).</exception>
    public ConsoleUser SignedIn => User ?? throw new InvalidOperationException("The console page was reached without a session.");

    /// <summary>The hidden field carrying the antiforgery token, for every form that POSTs.</summary>
    public Html Antiforgery => _antiforgery ??= Field();

    /// <summary>This page's path and query (to come back to it after a write).</summary>
    public string PathAndQuery => _context.Request.Path.Value + _context.Request.QueryString.Value;

    /// <summary>Every environment's name, in order.</summary>
    public IEnumerable<string> Environments => _context.RequestServices.GetRequiredService<Writes.EnvironmentCatalog>().All.Select(e => e.Name);

    /// <summary>A query-string value, or null.</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The value.</returns>
    public string? Query(string name) => _context.Request.Query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;

    /// <summary>A page as the response.</summary>
    /// <param name="title">The title.</param>
    /// <param name="body">The main content.</param>
    /// <param name="environment">The environment the page is about.</param>
    /// <param name="status">The HTTP status.</param>
    /// <returns>The result.</returns>
    public IResult Page(string title, Html body, string? environment = null, int status = StatusCodes.Status200OK) =>
        Results.Content(ConsoleLayout.Page(title, User, Antiforgery, body, environment), "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);

    private Html Field()
    {
        var tokens = _context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(_context);
        return Html.Of($"""<input type="hidden" name="{tokens.FormFieldName}" value="{tokens.RequestToken}">""");
    }
}
