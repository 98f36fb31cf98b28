using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FlagKit.DependencyInjection;

/// <summary>
/// Binds <see cref="FlagKitOptions"/> from a configuration section by hand: no reflection (the SDK is AOT- and
/// trim-safe), and a value that does not parse fails with the key and the value named.
/// </summary>
internal static class FlagKitOptionsBinder
{
    /// <summary>Copies the keys present in <paramref name="section"/> onto <paramref name="options"/>.</summary>
    /// <param name="section">The <c>FlagKit</c> section (keys as the property names, case-insensitive).</param>
    /// <param name="options">The options to fill.</param>
    /// <exception cref="InvalidOperationException">A value does not parse; the message names the key and the value.</exception>
    public static void Bind(IConfiguration section, FlagKitOptions options)
    {
        string path = section is IConfigurationSection s ? s.Path : "FlagKit";
        options.ServerUrl = section[nameof(FlagKitOptions.ServerUrl)] ?? options.ServerUrl;
        options.ApiKey = section[nameof(FlagKitOptions.ApiKey)] ?? options.ApiKey;
        options.Environment = section[nameof(FlagKitOptions.Environment)] ?? options.Environment;
        options.AppName = section[nameof(FlagKitOptions.AppName)] ?? options.AppName;
        options.AppVersion = section[nameof(FlagKitOptions.AppVersion)] ?? options.AppVersion;
        options.CacheDirectory = section[nameof(FlagKitOptions.CacheDirectory)] ?? options.CacheDirectory;
        options.FlagsFile = section[nameof(FlagKitOptions.FlagsFile)] ?? options.FlagsFile;
        options.StartTimeout = Duration(nameof(FlagKitOptions.StartTimeout), options.StartTimeout);
        options.ConnectTimeout = Duration(nameof(FlagKitOptions.ConnectTimeout), options.ConnectTimeout);
        options.ReconnectMinDelay = Duration(nameof(FlagKitOptions.ReconnectMinDelay), options.ReconnectMinDelay);
        options.ReconnectMaxDelay = Duration(nameof(FlagKitOptions.ReconnectMaxDelay), options.ReconnectMaxDelay);
        options.FailedRetryDelay = Duration(nameof(FlagKitOptions.FailedRetryDelay), options.FailedRetryDelay);
        string? wait = section[nameof(FlagKitOptions.WaitForReadyOnStart)];
        if (wait is not null)
        {
            options.WaitForReadyOnStart = bool.TryParse(wait, out bool value)
                ? value
                : throw new InvalidOperationException($"{path}:{nameof(FlagKitOptions.WaitForReadyOnStart)}: '{wait}' is not true or false.");
        }

        TimeSpan Duration(string key, TimeSpan current)
        {
            string? text = section[key];
            if (text is null)
            {
                return current;
            }

            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan value)
                ? value
                : throw new InvalidOperationException($"{path}:{key}: '{text}' is not a duration; write it as hh:mm:ss[.fff], e.g. \"00:00:05\".");
        }
    }
}
