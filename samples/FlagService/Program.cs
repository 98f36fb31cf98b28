// FlagService: a small service that follows the FlagKit server.
//
//   1. Start the server (prints an SDK key on first start):   dotnet run --project src/FlagKit.Server
//   2. Start this service with that key:                       FlagKit__ApiKey=<sdk key> dotnet run --project samples/FlagService
//   3. Flip a flag through the admin API (e.g. the flagkit CLI) and watch this service log the flip, no restart.
//   4. curl http://127.0.0.1:5090/checkout?account=42          which checkout this account gets now
//      curl http://127.0.0.1:5090/healthz                      Healthy / Degraded (serving the disk cache) / Unhealthy
using FlagKit;
using FlagService;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);

// Options come from the "FlagKit" section (appsettings.json, environment variables FlagKit__*, user secrets).
builder.Services.AddFlagKit(builder.Configuration.GetSection("FlagKit"));
builder.Services.AddHealthChecks().AddFlagKit();
builder.Services.AddHostedService<FlagChangeLogger>();

WebApplication app = builder.Build();

app.MapGet("/checkout", (string account, FlagClient flags) =>
{
    var context = new EvaluationContext { AccountId = account };
    EvaluationDetails<bool> v2 = flags.GetBoolDetails("checkout-v2", context);
    return Results.Ok(new
    {
        account,
        checkout = v2.Value ? "v2" : "v1",
        reason = v2.Reason.ToString(),
        revision = v2.Revision,
        status = flags.Status.ToString(),
    });
});

app.MapHealthChecks("/healthz", new HealthCheckOptions
{
    ResponseWriter = (context, report) => context.Response.WriteAsync($"{report.Status}: {string.Join("; ", report.Entries.Select(e => e.Value.Description))}"),
});

app.Run();
