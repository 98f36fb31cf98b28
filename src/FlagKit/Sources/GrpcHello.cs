using System.Reflection;
using FlagKit.Documents;
using FlagKit.Protocol.V1;

namespace FlagKit.Sources;

/// <summary>The <c>Hello</c> a <see cref="GrpcFlagSource"/> opens each stream with: who it is and what it speaks.</summary>
internal static class GrpcHello
{
    /// <summary>The only sync protocol version this SDK speaks.</summary>
    public const int ProtocolVersion = 1;

    public static readonly string SdkVersion = ReadSdkVersion();

    /// <summary>The Hello for one stream, resuming from <paramref name="lastRevision"/> (0: send a full snapshot).</summary>
    public static Hello Build(GrpcFlagSourceOptions options, string instanceId, long lastRevision)
    {
        var hello = new Hello
        {
            SdkName = GrpcFlagSource.SdkName,
            SdkVersion = SdkVersion,
            InstanceId = instanceId,
            AppName = options.AppName ?? "",
            AppVersion = options.AppVersion ?? "",
            Environment = options.Environment,
            LastRevision = lastRevision,
        };
        hello.ProtocolVersions.Add(ProtocolVersion);
        hello.SchemaVersions.Add(FlagFile.CurrentSchema);
        hello.ModeSchemaVersions.Add(Modes.ModeReceiver.SchemaVersions);
        hello.TelemetryVersions.Add(GrpcTelemetryMessages.Version);
        return hello;
    }

    private static string ReadSdkVersion()
    {
        string? version = typeof(GrpcHello).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version))
        {
            return typeof(GrpcHello).Assembly.GetName().Version?.ToString() ?? "0.0.0";
        }

        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
