using FlagKit.Server;

WebApplication app;
try
{
    app = FlagServerApp.Build(args);
}
catch (InvalidOperationException e)
{
    // A setting is invalid or contradicts the data file: say which, plainly, and exit non-zero.
    await Console.Error.WriteLineAsync($"FlagKit server: cannot start: {e.Message}");
    return 1;
}

await app.RunAsync();
return 0;
