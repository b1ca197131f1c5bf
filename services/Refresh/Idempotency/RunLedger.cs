using Dapr;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Routing;

namespace ModeRefresh.Refresh.Idempotency;

/// <summary>
/// The per (workspace, report, dbt run) records that make report runs exactly-once in effect: a "started"
/// record written with first-write concurrency before calling Mode, then "done" (with Mode's run token) or
/// "failed" (permanently), or deleted after a transient failure so a redelivery can try again at once.
/// Every write after the claim carries the claim's ETag.
/// </summary>
public sealed partial class RunLedger(
    RunRecordStore records,
    IOptions<IdempotencyOptions> options,
    TimeProvider time,
    ILogger<RunLedger> logger)
{
    public static string KeyFor(ReportTarget target, string runId) =>
        $"mode-run:{target.Workspace}:{target.Report}:{runId}";

    /// <exception cref="DaprException">The state store could not be used (transient).</exception>
    public async Task<Claim> ClaimAsync(string key, string eventId, CancellationToken ct)
    {
        var mine = new RunRecord
        {
            Status = RunRecord.Started,
            ClaimId = Guid.NewGuid().ToString("N"),
            EventId = eventId,
            StartedAt = time.GetUtcNow(),
        };

        // A few rounds only: each lost race means someone else now holds the record, which the next read shows.
        for (var round = 0; round < 3; round++)
        {
            var (existing, etag) = await records.ReadAsync(key, ct);
            switch (existing?.Status)
            {
                case null:
                    if (await records.TryCreateAsync(key, mine, ct))
                    {
                        return await ConfirmAsync(key, mine, ct);
                    }

                    continue;
                case RunRecord.Done:
                    return new Claim.AlreadyDone(existing.ModeRunToken);
                case RunRecord.Failed:
                    return new Claim.AlreadyFailed(existing.Reason ?? "failed permanently earlier");
                default:
                    if (time.GetUtcNow() - existing.StartedAt < options.Value.Lease)
                    {
                        return new Claim.InFlight(existing.StartedAt);
                    }

                    if (await records.TryReplaceAsync(key, mine, etag, ct))
                    {
                        LogTakeover(logger, key, existing.StartedAt, existing.EventId);
                        return await ConfirmAsync(key, mine, ct);
                    }

                    continue;
            }
        }

        return new Claim.InFlight(mine.StartedAt);
    }

    /// <summary>
    /// Marks the run done. Not cancellable and retried a little: Mode has accepted the run, and a record left in
    /// "started" would let a redelivery after the lease run it again. False when it could not be saved.
    /// </summary>
    public Task<bool> CompleteAsync(string key, Claim.Granted claim, string? modeRunToken) =>
        SettleAsync(key, claim, claim.Record with
        {
            Status = RunRecord.Done,
            FinishedAt = time.GetUtcNow(),
            ModeRunToken = modeRunToken,
        });

    public Task<bool> FailAsync(string key, Claim.Granted claim, string reason) =>
        SettleAsync(key, claim, claim.Record with
        {
            Status = RunRecord.Failed,
            FinishedAt = time.GetUtcNow(),
            Reason = reason,
        });

    /// <summary>Gives the claim back after a transient failure, so the redelivery need not wait for the lease.</summary>
    public async Task<bool> ReleaseAsync(string key, Claim.Granted claim)
    {
        try
        {
            return await records.TryDeleteAsync(key, claim.ETag, CancellationToken.None);
        }
        catch (DaprException ex)
        {
            LogWriteFailed(logger, ex, key, "delete");
            return false; // the lease expires on its own
        }
    }

    private async Task<bool> SettleAsync(string key, Claim.Granted claim, RunRecord record)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var saved = await records.TryReplaceAsync(key, record, claim.ETag, CancellationToken.None);
                if (!saved)
                {
                    LogLostClaim(logger, key, record.Status);
                }

                return saved;
            }
            catch (DaprException ex)
            {
                LogWriteFailed(logger, ex, key, record.Status);
                if (attempt == 3)
                {
                    return false;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), time);
            }
        }
    }

    /// <summary>Reads the claim back for its ETag (Dapr's save does not return one) and to be sure it is ours.</summary>
    private async Task<Claim> ConfirmAsync(string key, RunRecord mine, CancellationToken ct)
    {
        var (record, etag) = await records.ReadAsync(key, ct);
        return record is not null && record.ClaimId == mine.ClaimId
            ? new Claim.Granted(etag, record)
            : new Claim.InFlight(record?.StartedAt ?? mine.StartedAt);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning,
        Message = "Took over run record {Key}: started at {StartedAt} by event {EventId} and never finished (crash?)")]
    private static partial void LogTakeover(ILogger logger, string key, DateTimeOffset startedAt, string? eventId);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning,
        Message = "Run record {Key} changed under this claim (lease taken over); could not mark it {Status}")]
    private static partial void LogLostClaim(ILogger logger, string key, string status);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "State store write ({Operation}) for run record {Key} failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string key, string operation);
}
