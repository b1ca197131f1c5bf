using System.Text.Json;
using Dapr;
using Grpc.Core;
using ModeRefresh.Contracts;
using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.Mode;
using ModeRefresh.Refresh.Planning.Routing;
using ModeRefresh.ServiceDefaults;
using ModeRefresh.Refresh.Subscription;
using ModeRefresh.Refresh.State;
using ModeRefresh.Refresh.Tracking;

namespace ModeRefresh.Refresh.Planning.Coalescing;

/// <summary>What an ask of a coalescing report came to: Mode's answer when it ran at once, else the run that serves it.</summary>
public readonly record struct CoalesceAnswer(ModeAnswer? Result, string? ServedBy, DateTimeOffset DueAt);

/// <summary>
/// Reports with a <see cref="ReportTarget.MinInterval"/>: the first ask when the report has not run within its
/// interval runs at once; later asks within it are recorded as served by one run at the interval's end (the latest
/// ask's parameters win), which a Dapr job <c>coalesce:{workspace}:{report}</c> starts. The state per report is one
/// fixed-size record (<see cref="CoalesceRecord"/>) written with ETags; asks for one report take turns in this process
/// (the <see cref="KeyedGate"/>), so concurrent deliveries read each other's writes instead of racing to the store.
/// </summary>
public sealed partial class ReportCoalescer(
    JsonRecordStore records,
    SidecarJobs jobs,
    RunLedger ledger,
    ModeClient mode,
    AcceptedRunPublisher publisher,
    RunTracker tracker,
    HistoryRecorder history,
    TimeProvider time,
    ILogger<ReportCoalescer> logger)
{
    public const string JobPrefix = "coalesce:";
    private const string ServedByPrefix = "coalesced-";

    // A failed callback (Refresh restarting) is retried this often, long enough to outlast a restart.
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);
    private const uint MaxRetries = 720;

    private readonly KeyedGate _turns = new();

    public static string KeyFor(string workspace, string report) => $"{JobPrefix}{workspace}:{report}";

    /// <summary>
    /// One ask for <paramref name="target"/> by a dbt run whose own run record the caller holds: runs the report now
    /// (and notes when), or joins the pending run. A state store or Scheduler failure is a transient answer: the
    /// caller gives its claim back and the delivery is retried.
    /// </summary>
    public async Task<CoalesceAnswer> AskAsync(DbtRunEvent evt, ReportTarget target, CancellationToken ct)
    {
        var key = KeyFor(target.Workspace, target.Report);
        using var turn = await _turns.EnterAsync(key, ct);
        CoalesceRecord? record;
        string etag;
        try
        {
            (record, etag) = await ReadAsync(key, ct);
        }
        catch (DaprException ex)
        {
            LogStateFailed(logger, ex, key);
            return new(new ModeAnswer.Unavailable("state store unavailable (coalescing record)"), null, default);
        }

        var now = time.GetUtcNow();
        if (record?.Pending is null && (record?.LastRunAt is not { } last || now - last >= target.MinInterval))
        {
            // Claimed in the store before Mode is called: this process's gate does not reach another replica, whose
            // ask at the same moment then finds the claim and joins the interval (or loses the ETag race and is
            // redelivered to join) instead of starting a second run at once.
            var claimed = new CoalesceRecord { LastRunAt = now, LastModeRunToken = record?.LastModeRunToken };
            if (!await TrySaveAsync(key, claimed, etag, target.MinInterval))
            {
                return new(new ModeAnswer.Unavailable("another ask is running this report now (coalescing record changed)"), null, default);
            }

            var result = await mode.RunReportAsync(target, ct);
            await SettleClaimAsync(key, claimed, result is ModeAnswer.Accepted accepted
                ? claimed with { LastModeRunToken = accepted.Run?.Token ?? claimed.LastModeRunToken }
                : record ?? new CoalesceRecord(), target.MinInterval);
            return new(result, null, default);
        }

        var pending = record!.Pending;
        var due = pending?.DueAt ?? record.LastRunAt!.Value + target.MinInterval;
        var joined = new PendingAsk
        {
            Id = pending?.Id ?? Guid.NewGuid().ToString("N"),
            RunId = evt.Data.RunId!,
            JobId = evt.Data.JobId,
            EventId = evt.EventId,
            ParametersJson = target.ParametersJson,
            MinInterval = target.MinInterval,
            FirstAskAt = pending?.FirstAskAt ?? now,
            DueAt = due,
            Asks = (pending?.Asks ?? 0) + 1,
        };
        if (!await TrySaveAsync(key, record with { Pending = joined }, etag, target.MinInterval))
        {
            return new(new ModeAnswer.Unavailable("coalescing record changed or could not be saved"), null, default);
        }

        try
        {
            // Overwritten on every ask with the same due time: a lost schedule is made good by the next ask or the
            // redelivery, and the job's data never grows.
            await ScheduleAsync(target.Workspace, target.Report, due - now, ct);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            LogNotScheduled(logger, ex, key);
            return new(new ModeAnswer.Unavailable("could not schedule the coalesced run"), null, default);
        }

        LogJoined(logger, target.ToString(), LogText.Safe(evt.Data.RunId!), joined.Asks, due);
        return new(null, ServedByPrefix + joined.Id, due);
    }

    /// <summary>
    /// The job's callback: runs the pending ask once (its own run record makes a redelivered callback start nothing),
    /// then clears it. False: ask the Scheduler to retry (Mode or the store failing for now).
    /// </summary>
    public async Task<bool> FireAsync(string name, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        CoalesceJob? job;
        try
        {
            job = JsonSerializer.Deserialize(body.Span, CoalesceJsonContext.Default.CoalesceJob);
        }
        catch (JsonException)
        {
            job = null;
        }

        if (job is null || string.IsNullOrEmpty(job.Workspace) || string.IsNullOrEmpty(job.Report))
        {
            LogUnreadableJob(logger, LogText.Safe(name));
            return true;
        }

        var key = KeyFor(job.Workspace, job.Report);
        using var turn = await _turns.EnterAsync(key, ct);
        try
        {
            var (record, etag) = await ReadAsync(key, ct);
            if (record?.Pending is not { } pending)
            {
                return true; // already served: a redelivered callback
            }

            if (pending.DueAt - time.GetUtcNow() is var early && early > TimeSpan.Zero)
            {
                // A trigger before the ask is due: another replica took an ask while this one was firing the previous
                // run and rescheduled the job at once, and the Scheduler handed that trigger here, where it waited
                // behind the fire that then set this ask's due time. Running it now would break the interval.
                await ScheduleAsync(job.Workspace, job.Report, early, ct);
                LogNotYetDue(logger, $"{job.Workspace}/{job.Report}", pending.DueAt);
                return true;
            }

            var target = new ReportTarget(job.Workspace, job.Report, pending.ParametersJson) { MinInterval = pending.MinInterval };
            var evt = new DbtRunEvent
            {
                EventId = pending.EventId,
                EventType = DbtEventTypes.RunCompleted,
                Data = new DbtRunData { RunId = pending.RunId, JobId = pending.JobId },
            };
            var runKey = RunLedger.KeyFor(target, ServedByPrefix + pending.Id);
            var claim = await ledger.ClaimAsync(runKey, $"{key}:{pending.Id}", ct);
            string? token = null;
            switch (claim)
            {
                case Claim.AlreadyDone done:
                    token = done.ModeRunToken;
                    break;
                case Claim.AlreadyFailed:
                    break;
                case Claim.InFlight:
                    return false;
                case Claim.Granted granted:
                    var result = await mode.RunReportAsync(target, ct);
                    switch (result)
                    {
                        case ModeAnswer.Accepted accepted:
                            token = accepted.Run?.Token;
                            await ledger.CompleteAsync(runKey, granted, token);
                            LogRan(logger, target.ToString(), pending.Asks, LogText.Safe(pending.RunId), LogText.Safe(token));
                            history.CoalescedRunFired(target.Workspace, target.Report, ServedByPrefix + pending.Id, token, null);
                            if (token is not null)
                            {
                                await publisher.PublishAsync(new ModeReportRunAccepted
                                {
                                    RunId = pending.RunId,
                                    JobId = pending.JobId,
                                    Workspace = target.Workspace,
                                    Report = target.Report,
                                    ModeRunToken = token,
                                    State = accepted.Run?.State,
                                });
                                await tracker.FollowAsync(evt, target, token);
                            }

                            break;
                        case ModeAnswer.Refused refused:
                            await ledger.FailAsync(runKey, granted, refused.Reason);
                            LogPermanent(logger, target.ToString(), pending.Asks, LogText.Safe(refused.Reason));
                            history.CoalescedRunFired(target.Workspace, target.Report, ServedByPrefix + pending.Id, null, refused.Reason);
                            break;
                        default:
                            await ledger.ReleaseAsync(runKey, granted);
                            LogTransient(logger, target.ToString(), LogText.Safe(((ModeAnswer.Unavailable)result).Reason));
                            return false;
                    }

                    break;
            }

            var now = time.GetUtcNow();
            var cleared = new CoalesceRecord { LastRunAt = now, LastModeRunToken = token ?? record.LastModeRunToken };
            if (!await TrySaveAsync(key, cleared, etag, pending.MinInterval))
            {
                // Another replica added an ask meanwhile: it waits for the next interval, with a fresh run of its own.
                var (now2, etag2) = await ReadAsync(key, ct);
                if (now2?.Pending is { } later && later.Id == pending.Id)
                {
                    var next = later with { Id = Guid.NewGuid().ToString("N"), DueAt = now + pending.MinInterval };
                    if (!await TrySaveAsync(key, cleared with { Pending = next }, etag2, pending.MinInterval))
                    {
                        return false;
                    }

                    await ScheduleAsync(job.Workspace, job.Report, pending.MinInterval, ct);
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is DaprException or RpcException)
        {
            LogStateFailed(logger, ex, key);
            return false;
        }
    }

    /// <summary>
    /// Best effort, after the claimed run: notes Mode's run token, or gives the interval back when Mode did not start
    /// the run (the redelivery then runs at once again). Only while the record is still the bare claim: asks that
    /// joined meanwhile keep their pending run.
    /// </summary>
    private async Task SettleClaimAsync(string key, CoalesceRecord claimed, CoalesceRecord settled, TimeSpan interval)
    {
        try
        {
            // Not cancelled with the delivery: Mode has answered, and what it answered must be noted.
            var (now, etag) = await ReadAsync(key, CancellationToken.None);
            if (now == claimed && etag.Length > 0)
            {
                await TrySaveAsync(key, settled, etag, interval);
            }
        }
        catch (DaprException ex)
        {
            LogStateFailed(logger, ex, key);
        }
    }

    private Task ScheduleAsync(string workspace, string report, TimeSpan due, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(new CoalesceJob(workspace, report), CoalesceJsonContext.Default.CoalesceJob);
        return jobs.ScheduleAsync(KeyFor(workspace, report), due > TimeSpan.Zero ? due : TimeSpan.FromMilliseconds(1), json,
            RetryInterval, MaxRetries, overwrite: true, ct);
    }

    // Unreadable: as if never run; the ETag still guards what is written over it.
    private Task<(CoalesceRecord? Record, string ETag)> ReadAsync(string key, CancellationToken ct) =>
        records.ReadAsync(key, CoalesceJsonContext.Default.CoalesceRecord, _ => new CoalesceRecord(), ct);

    /// <summary>Saves if the record still has <paramref name="etag"/> (none: if there is no record yet); false otherwise.</summary>
    private async Task<bool> TrySaveAsync(string key, CoalesceRecord record, string etag, TimeSpan interval)
    {
        try
        {
            // Kept a day past the interval: after that the report has not run within it anyway.
            return await records.TrySaveAsync(key, record, CoalesceJsonContext.Default.CoalesceRecord, etag, interval + TimeSpan.FromDays(1),
                CancellationToken.None);
        }
        catch (DaprException ex)
        {
            LogStateFailed(logger, ex, key);
            return false;
        }
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Information,
        Message = "Report {Report} ran within its minimum interval: dbt run {RunId} joins the coalesced run due {DueAt} ({Asks} ask(s))")]
    private static partial void LogJoined(ILogger logger, string report, string runId, int asks, DateTimeOffset dueAt);

    [LoggerMessage(EventId = 801, Level = LogLevel.Information,
        Message = "Coalesced run of report {Report} for {Asks} ask(s), latest dbt run {RunId}: Mode run {ModeRunToken}")]
    private static partial void LogRan(ILogger logger, string report, int asks, string runId, string? modeRunToken);

    [LoggerMessage(EventId = 802, Level = LogLevel.Error,
        Message = "Coalesced run of report {Report} for {Asks} ask(s) failed permanently: {Reason}")]
    private static partial void LogPermanent(ILogger logger, string report, int asks, string reason);

    [LoggerMessage(EventId = 803, Level = LogLevel.Warning,
        Message = "Coalesced run of report {Report} failed for now; the Scheduler retries it: {Reason}")]
    private static partial void LogTransient(ILogger logger, string report, string reason);

    [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "Coalescing state {Key} could not be read or written")]
    private static partial void LogStateFailed(ILogger logger, Exception exception, string key);

    [LoggerMessage(EventId = 805, Level = LogLevel.Error, Message = "Could not schedule the coalesced run {Key}")]
    private static partial void LogNotScheduled(ILogger logger, Exception exception, string key);

    [LoggerMessage(EventId = 807, Level = LogLevel.Debug,
        Message = "Coalesced run of report {Target} triggered before it is due ({DueAt}); rescheduled for then")]
    private static partial void LogNotYetDue(ILogger logger, string target, DateTimeOffset dueAt);

    [LoggerMessage(EventId = 806, Level = LogLevel.Error, Message = "Job {Name} carried no readable report; dropped")]
    private static partial void LogUnreadableJob(ILogger logger, string name);
}
