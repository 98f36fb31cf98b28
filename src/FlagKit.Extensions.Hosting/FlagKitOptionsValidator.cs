using Microsoft.Extensions.Options;

namespace FlagKit.DependencyInjection;

/// <summary>Checks <see cref="FlagKitOptions"/> at start and says, per setting, what is wrong.</summary>
/// <param name="customSource">True when the application registered its own <see cref="Sources.FlagSource"/>: then neither a server nor a file is required.</param>
internal sealed class FlagKitOptionsValidator(bool customSource = false) : IValidateOptions<FlagKitOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, FlagKitOptions options)
    {
        var errors = new List<string>();
        bool hasServer = !string.IsNullOrWhiteSpace(options.ServerUrl);
        bool hasFile = !string.IsNullOrWhiteSpace(options.FlagsFile);
        if (hasServer == hasFile && !(customSource && !hasServer))
        {
            errors.Add(hasServer
                ? "FlagKit: set either ServerUrl or FlagsFile, not both."
                : "FlagKit: set ServerUrl (with ApiKey and Environment) to follow a flag server, or FlagsFile to serve a local flags file.");
        }

        if (hasServer)
        {
            if (!Uri.TryCreate(options.ServerUrl, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "https"))
            {
                errors.Add($"FlagKit:ServerUrl must be an absolute http:// or https:// address; it is '{options.ServerUrl}'.");
            }

            if (string.IsNullOrWhiteSpace(options.ApiKey))
            {
                errors.Add("FlagKit:ApiKey is required with ServerUrl: an SDK key for the environment.");
            }

            if (string.IsNullOrWhiteSpace(options.Environment))
            {
                errors.Add("FlagKit:Environment is required with ServerUrl: the environment to follow (e.g. 'production').");
            }
        }

        Check(options.StartTimeout >= TimeSpan.Zero, $"FlagKit:StartTimeout must be zero or more; it is {options.StartTimeout}.");
        Check(options.ConnectTimeout > TimeSpan.Zero, $"FlagKit:ConnectTimeout must be more than zero; it is {options.ConnectTimeout}.");
        Check(options.ReconnectMinDelay > TimeSpan.Zero, $"FlagKit:ReconnectMinDelay must be more than zero; it is {options.ReconnectMinDelay}.");
        Check(options.ReconnectMaxDelay >= options.ReconnectMinDelay, $"FlagKit:ReconnectMaxDelay ({options.ReconnectMaxDelay}) must be at least ReconnectMinDelay ({options.ReconnectMinDelay}).");
        Check(options.FailedRetryDelay > TimeSpan.Zero, $"FlagKit:FailedRetryDelay must be more than zero; it is {options.FailedRetryDelay}.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Check(bool ok, string error)
        {
            if (!ok)
            {
                errors.Add(error);
            }
        }
    }
}
