using System.Globalization;
using FlagKit.Protocol.V1;
using FlagKit.Server.Admin;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Store;
using FlagKit.Server.Writes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Scheduling;

/// <summary>
/// Applies scheduled changes when due: every <see cref="FlagServerOptions.SchedulePollInterval"/> it claims due
/// changes one at a time in the store (<see cref="ApplyNextAsync"/>) and replays each through the admin service's
/// own RPC method, as the key that scheduled it (<see cref="ScheduledCallContext"/>), with the idempotency key
/// <c>schedule-&lt;id&gt;</c>: a change claimed again after a crash mid-apply answers from the stored result, so it
/// is applied once. A change due during a freeze waits for its end; one missed by more than
/// <see cref="FlagServerOptions.ScheduleGrace"/> (the server was down) is skipped; both are recorded.
/// </summary>
/// <remarks>Thread safety: one loop per server; <see cref="ApplyNextAsync"/> may also be called concurrently (and from
/// other replicas): the store's claim hands each row to one caller.</remarks>
internal sealed class ScheduleRunner : BackgroundService
{
    /// <summary>How long a claim holds before another server (or this one after a restart) may claim the change again.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>How often freeze windows are read again from the store (windows added on another replica).</summary>
    public static readonly TimeSpan FreezeReloadInterval = TimeSpan.FromSeconds(5);

    /// <summary>Lateness worth a note ("applied 4m late").</summary>
    private static readonly TimeSpan NotableLateness = TimeSpan.FromSeconds(5);

    private readonly IScheduleStore _store;
    private readonly FreezeCalendar _freezes;
    private readonly EnvironmentCatalog _catalog;
    private readonly ApiKeyRegistry _keys;
    private readonly IServiceProvider _services;
    private readonly FlagServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ScheduleRunner> _logger;

    /// <summary>Creates the runner.</summary>
    /// <param name="store">The store.</param>
    /// <param name="freezes">Freeze windows.</param>
    /// <param name="catalog">Environments.</param>
    /// <param name="keys">API keys (a change whose key was revoked is not applied).</param>
    /// <param name="services">Services (to create the admin service a change runs through).</param>
    /// <param name="options">Grace and poll interval.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    public ScheduleRunner(
        IScheduleStore store, FreezeCalendar freezes, EnvironmentCatalog catalog, ApiKeyRegistry keys, IServiceProvider services,
        IOptions<FlagServerOptions> options, TimeProvider time, ILogger<ScheduleRunner> logger)
    {
        _store = store;
        _freezes = freezes;
        _catalog = catalog;
        _keys = keys;
        _services = services;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>"scheduled change #12 by alice (key ops), due 2026-12-05T02:00:00+00:00" — what history adds to the operation.</summary>
    /// <param name="change">The change.</param>
    /// <returns>The words.</returns>
    public static string Note(ScheduledChangeRecord change) =>
        $"scheduled change #{change.Id} by {change.Actor}, due {LocalTimes.Format(change.DueAt, null)}";

    /// <summary>Applies every change due now, one at a time.</summary>
    /// <param name="cancellationToken">Stops between changes (and a preparation in progress).</param>
    /// <returns>How many changes were handled (applied, failed, skipped or put back to wait).</returns>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var handled = 0;
        while (await ApplyNextAsync(cancellationToken).ConfigureAwait(false))
        {
            handled++;
        }

        return handled;
    }

    /// <summary>
    /// The due work: claims the earliest due change in the store and handles it — waits for a freeze, skips it past
    /// the grace, or applies it — recording the outcome on its row (and in the audit when it is not applied).
    /// </summary>
    /// <param name="cancellationToken">Stops the write's preparation (the claim then runs out and the change is tried again).</param>
    /// <returns>False when nothing was due.</returns>
    public async Task<bool> ApplyNextAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_store.ClaimDueSchedule(now, Lease) is not { } change)
        {
            return false;
        }

        if (WaitForFreeze(change, now))
        {
            return true;
        }

        var late = now - change.NotBefore;
        if (late > _options.ScheduleGrace)
        {
            var reason = $"due {LocalTimes.Format(change.NotBefore, null)}, {Duration(late)} late, past the grace of {Duration(_options.ScheduleGrace)} " +
                $"({FlagServerOptions.SectionName}:{nameof(FlagServerOptions.ScheduleGrace)}): the server was not running when it was due";
            Finish(change, ScheduleStates.Skipped, reason, 0, "ScheduledChangeSkipped");
            ScheduleLog.Skipped(_logger, change.Id, change.Environment, reason);
            return true;
        }

        await ApplyAsync(change, late, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reloaded = _time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_time.GetUtcNow() - reloaded >= FreezeReloadInterval)
                {
                    _freezes.Reload();
                    reloaded = _time.GetUtcNow();
                }

                await RunDueAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(_options.SchedulePollInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive a store outage; the claim runs out and the change is tried again.
            catch (Exception e)
#pragma warning restore CA1031
            {
                ScheduleLog.RunnerFailed(_logger, e);
                await Task.Delay(_options.SchedulePollInterval, _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ApplyAsync(ScheduledChangeRecord change, TimeSpan late, CancellationToken cancellationToken)
    {
        var note = change.NotBefore > change.DueAt ? $"applied after waiting for a freeze ({change.Note})" : "";
        if (late > NotableLateness && change.NotBefore == change.DueAt)
        {
            note = $"applied {Duration(late)} late: the server was not running when it was due";
        }

        try
        {
            if (_keys.FindLive(change.KeyId) is null)
            {
                throw WriteRefusedException.Conflict($"the API key '{change.KeyName}' ({change.KeyId}) that scheduled it was revoked");
            }

            var response = await RunAsync(change, cancellationToken).ConfigureAwait(false);
            var applied = response.Revision != response.PreviousRevision ? response.Revision : 0;
            var outcome = applied == 0 ? (note.Length > 0 ? note + "; " : "") + "nothing to change" : note;
            _store.FinishSchedule(change.Id, ScheduleStates.Applied, outcome, applied, _time.GetUtcNow(), null);
            ScheduleLog.Applied(_logger, change.Id, change.Environment, applied, change.Description, change.Target, outcome);
        }
        catch (Exception e) when (e is WriteRefusedException or RpcException)
        {
            if (WaitForFreeze(change, _time.GetUtcNow()))
            {
                return;
            }

            var reason = e is RpcException rpc ? rpc.Status.Detail : e.Message;
            Finish(change, ScheduleStates.Failed, reason, 0, "ScheduledChangeFailed");
            ScheduleLog.Failed(_logger, change.Id, change.Environment, reason);
        }
    }

    /// <summary>Puts a claimed change back to wait when its environment is frozen at <paramref name="now"/>.</summary>
    private bool WaitForFreeze(ScheduledChangeRecord change, DateTimeOffset now)
    {
        if (_freezes.ActiveAt(change.Environment, now) is not { } freeze)
        {
            return false;
        }

        var end = _freezes.NextEnd(change.Environment, now)!.Value;
        var reason = $"waiting for freeze '{freeze.Name}' until {freeze.Format(end)}";
        _store.DeferSchedule(change.Id, end, reason);
        ScheduleLog.Waiting(_logger, change.Id, change.Environment, reason);
        return true;
    }

    private void Finish(ScheduledChangeRecord change, string state, string reason, long revision, string action)
    {
        var now = _time.GetUtcNow();
        var revisionNow = _catalog.Exists(change.Environment) ? _catalog.Get(change.Environment).Revision : 0;
        _store.FinishSchedule(change.Id, state, reason, revision, now, new AuditRecord(
            0, now, change.Actor, action, change.Environment, $"schedule #{change.Id}", revisionNow,
            $"{change.Target}: {change.Description} ({Note(change)}): {reason}"));
    }

    private Task<WriteResponse> RunAsync(ScheduledChangeRecord change, CancellationToken cancellationToken)
    {
        var write = ScheduledWrite.Parse(change.Rpc, change.Request);
        var options = write.Options();
        options.IdempotencyKey = $"schedule-{change.Id}";
        var caller = new CallerIdentity(change.KeyId, change.KeyName, ApiKeyRole.Admin, null, change.Actor);
        var context = new ScheduledCallContext(
            caller, "/flagkit.v1.FlagAdmin/" + change.Rpc, change.Id, Note(change), change.BaseRevision, write.IsEdit, cancellationToken);
        var service = ActivatorUtilities.CreateInstance<FlagAdminService>(_services);
        return write.Request switch
        {
            PutDocumentRequest r => service.PutDocument(r, context),
            ArchiveDocumentRequest r => service.ArchiveDocument(r, context),
            SetFlagStateRequest r => service.SetFlagState(r, context),
            SetRolloutRequest r => service.SetRollout(r, context),
            SetTargetsRequest r => service.SetTargets(r, context),
            ApplyFileRequest r => service.ApplyFile(r, context),
            RollbackRequest r => service.Rollback(r, context),
            _ => throw new InvalidOperationException($"Scheduled change #{change.Id} holds an unknown write ({change.Rpc})."),
        };
    }

    /// <summary>"4m 10s", "2h 5m", "3d 1h".</summary>
    /// <param name="span">The span.</param>
    /// <returns>The words.</returns>
    public static string Duration(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d {span.Hours}h"),
        { TotalHours: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes}m"),
        { TotalMinutes: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m {span.Seconds}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)span.TotalSeconds)}s"),
    };
}
