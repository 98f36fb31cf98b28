namespace FlagKit.Sources;

/// <summary>Checks <see cref="GrpcFlagSourceOptions"/> when a source is constructed; each message names the option.</summary>
internal static class GrpcFlagSourceOptionsValidator
{
    /// <summary>Every address of validated options, once each: <see cref="GrpcFlagSourceOptions.ServerUrl"/> first when set.</summary>
    /// <param name="options">Options that passed <see cref="Validate"/>.</param>
    /// <returns>The addresses.</returns>
    public static IReadOnlyList<Uri> Addresses(GrpcFlagSourceOptions options) =>
        (options.ServerUrl is { } first ? options.ServerUrls.Prepend(first) : options.ServerUrls).Distinct().ToList();

    /// <summary>Returns the server address, or throws <see cref="ArgumentException"/> naming what is missing or out of range.</summary>
    public static Uri Validate(GrpcFlagSourceOptions options)
    {
        if (options.ServerUrls.Count == 0 || options.ServerUrl is not null)
        {
            RequireAddress(options.ServerUrl, "ServerUrl");
        }

        for (var i = 0; i < options.ServerUrls.Count; i++)
        {
            RequireAddress(options.ServerUrls[i], $"ServerUrls[{i}]");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new ArgumentException("GrpcFlagSourceOptions.ApiKey is required: an SDK key for the environment.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.Environment))
        {
            throw new ArgumentException("GrpcFlagSourceOptions.Environment is required: the environment to follow.", nameof(options));
        }

        RequirePositive(options.StartTimeout, nameof(options.StartTimeout), allowZero: true);
        RequirePositive(options.ConnectTimeout, nameof(options.ConnectTimeout), allowZero: false);
        RequirePositive(options.ReconnectMinDelay, nameof(options.ReconnectMinDelay), allowZero: false);
        RequirePositive(options.FailedRetryDelay, nameof(options.FailedRetryDelay), allowZero: false);
        if (options.ReconnectMaxDelay < options.ReconnectMinDelay)
        {
            throw new ArgumentException($"GrpcFlagSourceOptions.ReconnectMaxDelay ({options.ReconnectMaxDelay}) must be at least ReconnectMinDelay ({options.ReconnectMinDelay}).", nameof(options));
        }

        return Addresses(options)[0];

        static void RequireAddress(Uri? url, string name)
        {
            if (url is null || !url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"GrpcFlagSourceOptions.{name} must be an absolute http:// or https:// address; it is '{url}'.", nameof(options));
            }
        }

        static void RequirePositive(TimeSpan value, string name, bool allowZero)
        {
            if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
            {
                throw new ArgumentException($"GrpcFlagSourceOptions.{name} must be {(allowZero ? "zero or more" : "more than zero")}; it is {value}.", nameof(options));
            }
        }
    }
}
