namespace FlagKit.Server.Webhooks;

/// <summary>The event types the server sends to webhooks (the <c>type</c> of the body, and of an endpoint's filter).</summary>
internal static class WebhookEventTypes
{
    /// <summary>A release moved to its next step (the payload names the step and its share).</summary>
    public const string ReleaseStep = "release.step";

    /// <summary>A release paused (an operator, an inconclusive step, distrusted data).</summary>
    public const string ReleasePaused = "release.paused";

    /// <summary>A release's guards found harm: the treatment was rolled back.</summary>
    public const string ReleaseRolledBack = "release.rolled_back";

    /// <summary>A release reached its last step.</summary>
    public const string ReleaseCompleted = "release.completed";

    /// <summary>Every event type, for configuration checks.</summary>
    public static readonly IReadOnlyList<string> All = [ReleaseStep, ReleasePaused, ReleaseRolledBack, ReleaseCompleted];

    /// <summary>Whether a type is one the server sends.</summary>
    /// <param name="type">The type.</param>
    /// <returns>True when known.</returns>
    public static bool IsKnown(string type) => All.Contains(type, StringComparer.Ordinal);
}
