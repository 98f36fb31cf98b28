using System.CommandLine;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary><c>status</c>: the connected SDK instances, the revision each has applied, and how far behind it is.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show connected SDK instances of the environment, the revision each applied, and lag");
        CommandAction.Set(command, async context =>
        {
            var request = new ListInstancesRequest { Environment = context.Environment };
            var response = await context.CallAsync((admin, call) => admin.ListInstancesAsync(request, call));
            var now = context.Time.GetUtcNow();
            var instances = response.Instances
                .OrderBy(i => i.AppName, StringComparer.Ordinal).ThenBy(i => i.InstanceId, StringComparer.Ordinal)
                .Select(i => ToJson(i, response.EnvironmentRevision, now)).ToList();
            var upToDate = instances.Count(i => i.Lag == 0);
            var killedRequest = new ListFlagsRequest { Environment = context.Environment, State = FlagStateFilter.Killed };
            var killed = (await context.CallAsync((admin, call) => Connection.AdminConnection.ListAllFlagsAsync(r => admin.ListFlagsAsync(r, call).ResponseAsync, killedRequest))).Flags
                .Select(FlagCommands.Summary).OrderBy(f => f.Key, StringComparer.Ordinal)
                .Select(f => new FlagKillStateJson(f.Key, true, f.Kills)).ToList();
            var modes = await MaintenanceCommands.TryGetAsync(context);
            var freezes = await FreezeStatus.TryGetAsync(context);
            if (context.Json)
            {
                context.WriteJson(
                    new StatusJson(context.Environment, response.EnvironmentRevision, instances.Count, upToDate, instances, killed, modes, freezes),
                    CliJsonContext.Default.StatusJson);
                return ExitCodes.Ok;
            }

            context.Out.WriteLine(
                $"{context.Environment} at revision {response.EnvironmentRevision} on {context.Settings.Url.OriginalString}: " +
                $"{FlagCommands.Count(instances.Count, "SDK instance")} connected, {upToDate} up to date");
            if (modes is not null)
            {
                ModeView.Write(modes, now, context.Out);
            }

            if (freezes is not null)
            {
                context.Out.WriteLine(FreezeStatus.Line(freezes, now));
            }

            WriteKilled(killed, context.Out);
            if (instances.Count == 0)
            {
                return ExitCodes.Ok;
            }

            // revision: the last one the instance acked (applied); sent: the last one the server began sending it.
            var table = new Table("instance", "app", "sdk", "revision>", "lag>", "sent>", "acked", "connected", "failed>", "peer");
            foreach (var i in instances)
            {
                table.Add(
                    i.InstanceId,
                    Join(i.App, i.AppVersion),
                    Join(i.Sdk, i.SdkVersion),
                    FlagCommands.Number(i.AckedRevision),
                    FlagCommands.Number(i.Lag),
                    FlagCommands.Number(i.SentRevision),
                    Format.Age(i.AckedAt, now),
                    Format.Age(i.ConnectedAt, now),
                    i.FailedDocuments.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    i.Peer);
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The JSON shape of one instance; lag is how many revisions it is behind the environment.</summary>
    public static InstanceJson ToJson(InstanceInfo i, long environmentRevision, DateTimeOffset now) => new(
        i.InstanceId,
        i.AppName,
        i.AppVersion,
        i.SdkName,
        i.SdkVersion,
        i.Peer,
        Format.Instant(i.ConnectedAt),
        i.AckedRevision,
        Format.Instant(i.AckedAt),
        Math.Max(0, environmentRevision - i.AckedRevision),
        i.FailedDocuments,
        i.SentRevision,
        Format.Instant(i.SentAt));

    // "2 flags killed:" then one line each with what holds it down.
    private static void WriteKilled(List<FlagKillStateJson> killed, TextWriter writer)
    {
        if (killed.Count == 0)
        {
            return;
        }

        writer.WriteLine($"{FlagCommands.Count(killed.Count, "flag")} killed:");
        foreach (var flag in killed)
        {
            writer.WriteLine($"  {flag.Key}: {string.Join("; ", flag.Kills.Select(FlagCommands.KillLine))}");
        }
    }

    private static string Join(string name, string version) => name.Length == 0 ? "-" : version.Length == 0 ? name : $"{name} {version}";
}
