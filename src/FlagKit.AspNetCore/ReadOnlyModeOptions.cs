using Microsoft.AspNetCore.Http;

namespace FlagKit.AspNetCore;

/// <summary>How <c>UseReadOnlyMode</c> decides which requests to refuse while the environment is read-only or in maintenance.</summary>
public sealed class ReadOnlyModeOptions
{
    /// <summary>
    /// The methods refused in read-only mode unless the endpoint says otherwise (<c>AllowDuringReadOnly</c>):
    /// POST, PUT, PATCH and DELETE by default. Compared case-insensitively.
    /// </summary>
    public ISet<string> MutatingMethods { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete,
    };

    /// <summary>
    /// The context a request's mode is judged for (region, game, app... as for flags), so that a switch scoped to a
    /// region reaches only that region's requests. <see langword="null"/> (the default): no context, so only switches
    /// and windows for everyone apply.
    /// </summary>
    public Func<HttpContext, EvaluationContext?>? Context { get; set; }

    /// <summary>
    /// The client to ask; <see langword="null"/> (the default): the <see cref="FlagClient"/> registered in the
    /// request's services (<c>AddFlagKit</c>).
    /// </summary>
    public FlagClient? FlagClient { get; set; }

    /// <summary>The <c>Retry-After</c> sent when the mode has no end time (a switch without <c>--until</c>): 60 s.</summary>
    public TimeSpan RetryAfterWithoutEnd { get; set; } = TimeSpan.FromSeconds(60);
}
