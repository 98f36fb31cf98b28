namespace FlagKit.Server.WebConsole;

/// <summary>The page shell every console page shares: head, navigation, the signed-in key, sign-out.</summary>
internal static class ConsoleLayout
{
    /// <summary>A whole page.</summary>
    /// <param name="title">The page title (text).</param>
    /// <param name="user">The signed-in user, or null on the sign-in page.</param>
    /// <param name="antiforgery">The antiforgery form field (sign-out needs it).</param>
    /// <param name="body">The page's main content.</param>
    /// <param name="environment">The environment the page is about, kept in the navigation links.</param>
    /// <returns>The document.</returns>
    public static string Page(string title, ConsoleUser? user, Html antiforgery, Html body, string? environment = null)
    {
        var nav = user is null ? Html.Empty : Html.Of($"""
            <nav aria-label="Console">
              <a href="{ConsoleUrls.With(ConsoleUrls.Flags, ("env", environment))}">Flags</a>
              <a href="{ConsoleUrls.Environments}">Environments</a>
              <a href="{ConsoleUrls.With(InstancesPage.Path, ("env", environment))}">Instances</a>
              <a href="{ConsoleUrls.With(EvaluatePage.Path, ("env", environment))}">Evaluate</a>
            </nav>
            <div class="who">
              <span>Signed in as <strong>{user.KeyName}</strong> <span class="role">({user.RoleName})</span></span>
              <form method="post" action="{ConsoleUrls.SignOut}">{antiforgery}<button type="submit">Sign out</button></form>
            </div>
            """);
        return Html.Of($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>{title} · FlagKit console</title>
              <link rel="stylesheet" href="{ConsoleUrls.Stylesheet}">
              <script src="{ConsoleUrls.Script}" defer></script>
            </head>
            <body>
              <header class="top">
                <span class="brand">FlagKit</span>
                {nav}
              </header>
              <main id="main">
                <div id="status" role="status" aria-live="polite"></div>
                {body}
              </main>
            </body>
            </html>
            """).Value;
    }

    /// <summary>A message box: an error (role alert) or a notice.</summary>
    /// <param name="text">The message (text).</param>
    /// <param name="error">True for an error.</param>
    /// <returns>The markup, empty when there is no message.</returns>
    public static Html Message(string? text, bool error) =>
        string.IsNullOrEmpty(text) ? Html.Empty
        : error ? Html.Of($"""<p class="message error" role="alert">{text}</p>""")
        : Html.Of($"""<p class="message notice" role="status">{text}</p>""");
}
