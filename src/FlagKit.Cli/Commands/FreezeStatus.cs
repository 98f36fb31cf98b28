using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary>
/// What <c>status</c> shows of the environment's freezes: the one in force now (the last to end, as the server names it
/// when it refuses a write) and the next to start, both from the server's own calendar (<c>FreezeList</c>: recurrences
/// and time zones are the server's).
/// </summary>
internal static class FreezeStatus
{
    /// <summary>The environment's freezes now and next; null from a server without freezes.</summary>
    /// <param name="context">The command.</param>
    /// <returns>The shape, or null when the server does not know freezes.</returns>
    public static async Task<StatusFreezesJson?> TryGetAsync(CommandContext context)
    {
        try
        {
            var response = await context.Admin.FreezeListAsync(
                new FreezeListRequest { Environment = context.Environment }, Connection.AdminConnection.Call(context.Time, context.Cancellation));
            return Describe(response.Freezes);
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unimplemented)
        {
            return null;
        }
    }

    /// <summary>The freeze in force (latest end) and the next one to start (earliest start) among <paramref name="freezes"/>.</summary>
    /// <param name="freezes">The environment's windows, with when each is in force, as the server computed them.</param>
    /// <returns>The shape.</returns>
    public static StatusFreezesJson Describe(IEnumerable<FreezeInfo> freezes)
    {
        FreezeOccurrenceJson? current = null;
        FreezeOccurrenceJson? next = null;
        foreach (var f in freezes)
        {
            if (f.Active && Format.Instant(f.CurrentEnd) is { } until && (current is null || until > current.End))
            {
                current = new FreezeOccurrenceJson(f.Window.Name, null, until);
            }

            if (Format.Instant(f.NextStart) is { } start && Format.Instant(f.NextEnd) is { } end && (next is null || start < next.Start))
            {
                next = new FreezeOccurrenceJson(f.Window.Name, start, end);
            }
        }

        return new StatusFreezesJson(current, next);
    }

    /// <summary>
    /// <c>freeze: none in force; next: 'euro-final' in 3h 10m: 2026-12-05 17:00:00Z – 2026-12-05 22:00:00Z</c>, or
    /// <c>freeze: FROZEN by 'launch' until …</c>.
    /// </summary>
    /// <param name="freezes">The freezes.</param>
    /// <param name="now">Now.</param>
    /// <returns>The line.</returns>
    public static string Line(StatusFreezesJson freezes, DateTimeOffset now)
    {
        var current = freezes.Current is { } c
            ? $"FROZEN by '{c.Name}' until {Format.Time(c.End)} (writes refused; kill/rollback with --override --reason)"
            : "none in force";
        var next = freezes.Next is { } n
            ? $"'{n.Name}' in {ModeView.In(n.Start!.Value > now ? n.Start.Value - now : TimeSpan.Zero)}: {Format.Time(n.Start)} – {Format.Time(n.End)}"
            : "none ahead";
        return $"freeze: {current}; next: {next}";
    }
}
