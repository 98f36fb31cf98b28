using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary>
/// <c>--wait</c>: polls the server's list of connected SDK instances until every instance of the environment has
/// acknowledged (applied) a revision, or the timeout passes.
/// </summary>
internal static class PropagationWaiter
{
    /// <summary>How often the instance list is polled.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits for <paramref name="revision"/> to be applied everywhere.</summary>
    /// <param name="context">The command (its clock, connection and cancellation).</param>
    /// <param name="revision">The revision to wait for.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>How many instances there were, how many applied it, how long it took, and which did not.</returns>
    public static async Task<WaitJson> WaitAsync(CommandContext context, long revision, TimeSpan timeout)
    {
        var started = context.Time.GetTimestamp();
        while (true)
        {
            var environment = context.Environment;
            var list = await context.CallAsync((admin, call) =>
                admin.ListInstancesAsync(new ListInstancesRequest { Environment = environment }, call)).ConfigureAwait(false);
            var now = context.Time.GetUtcNow();
            var instances = list.Instances.Where(i => i.Environment.Length == 0 || i.Environment == environment).ToList();
            var pending = instances.Where(i => i.AckedRevision < revision).ToList();
            var elapsed = context.Time.GetElapsedTime(started);
            if (pending.Count == 0 || elapsed >= timeout)
            {
                return new WaitJson(
                    revision,
                    instances.Count,
                    instances.Count - pending.Count,
                    Math.Round(elapsed.TotalSeconds, 3),
                    pending.Count == 0,
                    pending.Select(i => StatusCommand.ToJson(i, list.EnvironmentRevision, now)).ToList());
            }

            var remaining = timeout - elapsed;
            await Task.Delay(remaining < PollInterval ? remaining : PollInterval, context.Time, context.Cancellation)
                .ConfigureAwait(false);
        }
    }

    /// <summary>The human line(s) for a wait's outcome.</summary>
    /// <param name="wait">The outcome.</param>
    /// <param name="writer">Where to write.</param>
    public static void Describe(WaitJson wait, TextWriter writer)
    {
        var took = Format.Seconds(TimeSpan.FromSeconds(wait.ElapsedSeconds));
        if (wait.Instances == 0 && wait.Complete)
        {
            writer.WriteLine($"no SDK instance is connected; nothing to wait for.");
            return;
        }

        if (wait.Complete)
        {
            writer.WriteLine($"applied by {wait.Applied}/{wait.Instances} SDK instances in {took}.");
            return;
        }

        writer.WriteLine($"timed out after {took}: {wait.Applied}/{wait.Instances} SDK instances applied revision {wait.Revision}; still behind:");
        var table = new Table("instance", "app", "sdk", "revision>", "acked");
        foreach (var i in wait.Pending)
        {
            table.Add(i.InstanceId, Join(i.App, i.AppVersion), Join(i.Sdk, i.SdkVersion), i.AckedRevision.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Time(i.AckedAt));
        }

        table.WriteTo(writer);
    }

    private static string Join(string name, string version) => version.Length == 0 ? name : $"{name} {version}";
}
