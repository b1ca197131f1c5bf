using Dapr;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Mode;
using Polly;
using Polly.Registry;
using Polly.Retry;

namespace ModeRefresh.Refresh.State;

/// <summary>
/// The per (workspace, report, dbt run) records that make report runs exactly-once in effect: a "started"
/// record written with first-write concurrency before calling Mode, then "done" (with Mode's run token) or
/// "failed" (permanently), or deleted after a transient failure so a redelivery can try again at once.
/// Every write after the claim carries the claim's ETag.
/// </summary>
/// <remarks>
/// dbt's retries of one webhook arrive together, and daprd delivers them at the same time. Claims for one record
/// take turns within this process, so the later deliveries read the first one's claim instead of racing it to the
/// store: the store never answers a lost race from one replica. Replicas can still race; a lost race is then one
/// failed write, told apart from an outage by reading the key, and not retried.
/// </remarks>
public sealed partial class RunLedger(
    RunRecordStore records,
    IOptions<IdempotencyOptions> options,
    TimeProvider time,
    ResiliencePipelineProvider<string> pipelines,
    ILogger<RunLedger> logger)
{
    private readonly KeyedGate _turns = new();
    private readonly ResiliencePipeline _state = pipelines.GetPipeline(StateStoreResilience.Transient);
    private readonly ResiliencePipeline _settle = pipelines.GetPipeline(StateStoreResilience.Settle);

    // A lost race (another replica wrote first) means someone else now holds the record, which the next read shows:
    // read again at once, a couple of times at most.
    private readonly ResiliencePipeline<Claim?> _rounds = new ResiliencePipelineBuilder<Claim?> { TimeProvider = time }
        .AddRetry(new RetryStrategyOptions<Claim?>
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome is { Exception: null, Result: null }),
            MaxRetryAttempts = 2,
            Delay = TimeSpan.Zero,
        })
        .Build();

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

        using var turn = await _turns.EnterAsync(key, ct);
        return await _rounds.ExecuteAsync(static async (s, t) => await s.Ledger.TryClaimAsync(s.Key, s.Mine, t),
                   (Ledger: this, Key: key, Mine: mine), ct)
               ?? new Claim.InFlight(mine.StartedAt);
    }

    /// <summary>
    /// Marks the run done. Not cancellable and retried a little: Mode has accepted the run, and a record left in
    /// "started" would let a redelivery after the lease run it again. False when it could not be saved.
    /// </summary>
    public Task<bool> CompleteAsync(string key, Claim.Granted claim, string? modeRunToken, string? servedBy = null) =>
        SettleAsync(key, claim, claim.Record with
        {
            Status = RunRecord.Done,
            FinishedAt = time.GetUtcNow(),
            ModeRunToken = modeRunToken,
            ServedBy = servedBy,
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
            return await _state.ExecuteAsync(
                static async (s, t) => await s.Records.TryDeleteAsync(s.Key, s.ETag, t), (Records: records, Key: key, claim.ETag),
                CancellationToken.None);
        }
        catch (DaprException ex)
        {
            LogWriteFailed(logger, ex, key, "delete");
            return false; // the lease expires on its own
        }
    }

    /// <summary>
    /// Deletes the record if it says "failed", so the next delivery runs the report again (a replayed dead letter).
    /// A done or running record is left alone: replaying never runs a report twice. True when one was cleared.
    /// </summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public async Task<bool> ClearFailedAsync(string key, CancellationToken ct)
    {
        using var turn = await _turns.EnterAsync(key, ct);
        var (existing, etag) = await ReadAsync(key, ct);
        if (existing?.Status != RunRecord.Failed)
        {
            return false;
        }

        // Lost to another writer: that writer now holds the record, which is no longer the failed one.
        return await _state.ExecuteAsync(
            static async (s, t) => await s.Records.TryDeleteAsync(s.Key, s.ETag, t), (Records: records, Key: key, ETag: etag), ct);
    }

    /// <summary>One round: the claim, or null when another replica won a race this round and the record must be read again.</summary>
    private async Task<Claim?> TryClaimAsync(string key, RunRecord mine, CancellationToken ct)
    {
        var (existing, etag) = await ReadAsync(key, ct);
        switch (existing?.Status)
        {
            case null:
                var created = await _state.ExecuteAsync(
                    static async (s, t) => await s.Records.TryCreateAsync(s.Key, s.Mine, t), (Records: records, Key: key, Mine: mine), ct);
                if (!created)
                {
                    LogLostRace(logger, key);
                    return null;
                }

                return await ConfirmAsync(key, mine, ct);
            case RunRecord.Done:
                return new Claim.AlreadyDone(existing.ModeRunToken);
            case RunRecord.Failed:
                return new Claim.AlreadyFailed(existing.Reason ?? "failed permanently earlier");
            default:
                if (time.GetUtcNow() - existing.StartedAt < options.Value.Lease)
                {
                    return new Claim.InFlight(existing.StartedAt);
                }

                var replaced = await _state.ExecuteAsync(
                    static async (s, t) => await s.Records.TryReplaceAsync(s.Key, s.Mine, s.ETag, t),
                    (Records: records, Key: key, Mine: mine, ETag: etag), ct);
                if (!replaced)
                {
                    LogLostRace(logger, key);
                    return null;
                }

                LogTakeover(logger, key, existing.StartedAt, existing.EventId);
                return await ConfirmAsync(key, mine, ct);
        }
    }

    private async Task<bool> SettleAsync(string key, Claim.Granted claim, RunRecord record)
    {
        try
        {
            var saved = await _settle.ExecuteAsync(
                static async (s, t) => await s.Records.TryReplaceAsync(s.Key, s.Record, s.ETag, t),
                (Records: records, Key: key, Record: record, claim.ETag), CancellationToken.None);
            if (!saved)
            {
                LogLostClaim(logger, key, record.Status);
            }

            return saved;
        }
        catch (DaprException ex)
        {
            LogWriteFailed(logger, ex, key, record.Status);
            return false;
        }
    }

    private Task<(RunRecord? Record, string ETag)> ReadAsync(string key, CancellationToken ct) =>
        _state.ExecuteAsync(static async (s, t) => await s.Records.ReadAsync(s.Key, t), (Records: records, Key: key), ct).AsTask();

    /// <summary>Reads the claim back for its ETag (Dapr's save does not return one) and to be sure it is ours.</summary>
    private async Task<Claim> ConfirmAsync(string key, RunRecord mine, CancellationToken ct)
    {
        var (record, etag) = await ReadAsync(key, ct);
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

    [LoggerMessage(EventId = 403, Level = LogLevel.Debug,
        Message = "Run record {Key} was written by another replica first; reading it again")]
    private static partial void LogLostRace(ILogger logger, string key);
}
