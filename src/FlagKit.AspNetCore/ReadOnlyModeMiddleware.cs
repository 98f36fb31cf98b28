using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FlagKit.AspNetCore;

/// <summary>
/// Refuses mutating requests while the environment is read-only or in maintenance: <c>503 Service Unavailable</c> with
/// <c>Retry-After</c> (seconds until the mode's end) and a problem+json body naming the mode; reads go on. Asks
/// <see cref="FlagClient.GetMode"/> per request (lock-free, no allocation); a request that is not mutating costs a
/// method lookup.
/// </summary>
internal sealed class ReadOnlyModeMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ReadOnlyModeOptions _options;

    /// <summary>Creates the middleware.</summary>
    /// <param name="next">The rest of the pipeline.</param>
    /// <param name="options">Options.</param>
    public ReadOnlyModeMiddleware(RequestDelegate next, ReadOnlyModeOptions options)
    {
        _next = next;
        _options = options;
    }

    /// <summary>Runs for one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>Completes when the request is answered.</returns>
    public Task InvokeAsync(HttpContext context)
    {
        if (!Guarded(context))
        {
            return _next(context);
        }

        var flags = _options.FlagClient ?? context.RequestServices.GetRequiredService<FlagClient>();
        var status = flags.GetMode(_options.Context?.Invoke(context));
        return status.IsReadOnly ? RefuseAsync(context, status) : _next(context);
    }

    private bool Guarded(HttpContext context)
    {
        var rule = context.GetEndpoint()?.Metadata.GetMetadata<ReadOnlyModeMetadata>();
        return rule is null ? _options.MutatingMethods.Contains(context.Request.Method) : !rule.Allowed;
    }

    private Task RefuseAsync(HttpContext context, ModeStatus status)
    {
        var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        var wait = status.Until is { } until ? until - time.GetUtcNow() : _options.RetryAfterWithoutEnd;
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        var response = context.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        response.ContentType = "application/problem+json";
        return response.Body.WriteAsync(Problem(status, seconds), context.RequestAborted).AsTask();
    }

    private static byte[] Problem(ModeStatus status, long seconds)
    {
        var mode = status.Mode == OperatingMode.Maintenance ? "maintenance" : "read-only";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "https://flagkit.dev/problems/" + mode);
            json.WriteString("title", status.Mode == OperatingMode.Maintenance ? "The service is in maintenance." : "The service is read-only for now.");
            json.WriteNumber("status", StatusCodes.Status503ServiceUnavailable);
            json.WriteString("detail", status.Message is { Length: > 0 } message ? message : $"Changes are refused while the service is {mode}; reads go on. Retry in {seconds} s.");
            json.WriteString("mode", mode);
            if (status.Until is { } until)
            {
                json.WriteString("until", until);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
