using Microsoft.AspNetCore.Http;

namespace FlagKit.AspNetCore;

/// <summary>
/// Records every request's outcome (failure per <see cref="RequestOutcomeOptions.IsFailure"/>, or an exception; and
/// its duration) against the variant each flag named for it served for its context: the global
/// <see cref="RequestOutcomeOptions.Flags"/> and the endpoint's <see cref="RequestOutcomeMetadata"/>. A request that
/// names no flag costs one metadata lookup.
/// </summary>
internal sealed class RequestOutcomeMiddleware(RequestDelegate next, FlagClient flags, TimeProvider time, RequestOutcomeOptions options)
{
    private readonly RequestOutcomeOptions _options = options;

    public async Task InvokeAsync(HttpContext http)
    {
        var started = time.GetTimestamp();
        var failed = false;
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            Record(http, failed, time.GetElapsedTime(started));
        }
    }

    private void Record(HttpContext http, bool threw, TimeSpan duration)
    {
        var named = http.GetEndpoint()?.Metadata.GetOrderedMetadata<RequestOutcomeMetadata>();
        if (_options.Flags.Count == 0 && (named is null || named.Count == 0))
        {
            return;
        }

        var context = _options.ContextFactory(http);
        var success = !threw && !_options.IsFailure(http);
        foreach (var flag in _options.Flags)
        {
            flags.RecordOutcome(flag, context, success, duration);
        }

        if (named is null)
        {
            return;
        }

        foreach (var metadata in named)
        {
            foreach (var flag in metadata.Flags)
            {
                if (!_options.Flags.Contains(flag))
                {
                    flags.RecordOutcome(flag, context, success, duration);
                }
            }
        }
    }
}
