// FlagService: a small service that follows the FlagKit server.
//
//   1. Start the server (prints an SDK key on first start):   dotnet run --project src/FlagKit.Server
//   2. Start this service with that key:                       FlagKit__ApiKey=<sdk key> dotnet run --project samples/FlagService
//   3. Flip a flag through the admin API (e.g. the flagkit CLI) and watch this service log the flip, no restart.
//   4. curl http://127.0.0.1:5090/checkout?account=42          which checkout this account gets now
//      curl http://127.0.0.1:5090/healthz                      Healthy / Degraded (serving the disk cache) / Unhealthy
//      curl http://127.0.0.1:5090/pay?account=42               a payment: its outcome (5xx = failure, duration) is recorded
//                                                              against the checkout-v2 variant it was served, for guarded releases
using FlagKit;
using FlagKit.AspNetCore;
using FlagService;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);

// Options come from the "FlagKit" section (appsettings.json, environment variables FlagKit__*, user secrets).
builder.Services.AddFlagKit(builder.Configuration.GetSection("FlagKit"));
builder.Services.AddHealthChecks().AddFlagKit();
builder.Services.AddHostedService<FlagChangeLogger>();

WebApplication app = builder.Build();

// Every request's outcome (a 5xx is a failure, and its duration) is recorded against the variant the flags its endpoint
// names (WithFlagOutcomes) served to the same context the endpoint evaluates them with: here the account in the query.
app.UseFlagOutcomes(options => options.ContextFactory = http =>
    http.Request.Query["account"] is { Count: > 0 } account ? new EvaluationContext { AccountId = account.ToString() } : null);

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

// The payment step. Checkout v2 carries a demo bug: a share of its payments fail (Checkout:V2PaymentFailureRate,
// 0 unless set; run.sh sets 0.10) against Checkout:V1PaymentFailureRate for v1. A guarded release of checkout-v2 sees
// the difference in the outcomes the SDK reports and rolls v2 back by itself.
double v1FailureRate = app.Configuration.GetValue("Checkout:V1PaymentFailureRate", 0.0);
double v2FailureRate = app.Configuration.GetValue("Checkout:V2PaymentFailureRate", 0.0);
app.MapGet("/pay", (string account, FlagClient flags) =>
{
    bool v2 = flags.IsEnabled("checkout-v2", new EvaluationContext { AccountId = account });
    return Random.Shared.NextDouble() < (v2 ? v2FailureRate : v1FailureRate)
        ? Results.Problem($"payment failed (checkout {(v2 ? "v2" : "v1")})", statusCode: StatusCodes.Status502BadGateway)
        : Results.Ok(new { account, checkout = v2 ? "v2" : "v1", paid = true });
}).WithFlagOutcomes("checkout-v2");

app.MapHealthChecks("/healthz", new HealthCheckOptions
{
    ResponseWriter = (context, report) => context.Response.WriteAsync($"{report.Status}: {string.Join("; ", report.Entries.Select(e => e.Value.Description))}"),
});

app.Run();
