using Dapr;
using Dapr.Client;
using ModeRefresh.Contracts;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.Mode;
using ModeRefresh.Refresh.Planning.Coalescing;
using ModeRefresh.Refresh.State;
using ModeRefresh.Refresh.Tracking;

namespace ModeRefresh.Refresh.Runs;

/// <summary>Runs one report for one dbt run at most once in effect: claim the record, call Mode, settle the record.</summary>
public sealed partial class ReportRunner(
    RunLedger ledger,
    ModeClient mode,
    AcceptedRunPublisher publisher,
    RunTracker tracker,
    ReportCoalescer coalescer,
    ILogger<ReportRunner> logger)
{
    public async Task<ReportOutcome> RunAsync(DbtRunEvent evt, ReportTarget target, CancellationToken ct)
    {
        var runId = evt.Data.RunId!; // normalised by DbtEventReader: trimmed, no control characters
        var key = RunLedger.KeyFor(target, runId);
        Claim claim;
        try
        {
            claim = await ledger.ClaimAsync(key, evt.EventId, ct);
        }
        catch (Exception ex) when (ex is DaprException || (ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            LogStateUnavailable(logger, ex, target.ToString(), runId);
            return new(target, Outcome.Retry, "state store unavailable");
        }

        switch (claim)
        {
            case Claim.AlreadyDone done:
                LogAlreadyDone(logger, target.ToString(), runId, done.ModeRunToken);
                return new(target, Outcome.Done, "already run") { ModeRunToken = done.ModeRunToken };
            case Claim.AlreadyFailed failed:
                return new(target, Outcome.Failed, failed.Reason);
            case Claim.InFlight inFlight:
                LogInFlight(logger, target.ToString(), runId, inFlight.Since);
                return new(target, Outcome.Retry, $"another delivery has been running it since {inFlight.Since:O}");
        }

        var granted = (Claim.Granted)claim;
        ModeAnswer result;
        try
        {
            if (target.MinInterval > TimeSpan.Zero)
            {
                var answer = await coalescer.AskAsync(evt, target, ct);
                if (answer.ServedBy is { } servedBy)
                {
                    // Served by the run at the interval's end: done for this dbt run, so a redelivery starts nothing.
                    await ledger.CompleteAsync(key, granted, null, servedBy);
                    return new(target, Outcome.Done, $"coalesced into the run due {answer.DueAt:O}") { ServedBy = servedBy };
                }

                result = answer.Result!;
            }
            else
            {
                result = await mode.RunReportAsync(target, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            result = new ModeAnswer.Unavailable("delivery cancelled by the caller");
        }
        catch
        {
            await ledger.ReleaseAsync(key, granted); // unexpected: give the claim back, let the handler answer RETRY
            throw;
        }

        return await SettleAsync(evt, target, key, granted, result);
    }

    private async Task<ReportOutcome> SettleAsync(
        DbtRunEvent evt, ReportTarget target, string key, Claim.Granted claim, ModeAnswer result)
    {
        var runId = evt.Data.RunId!;
        switch (result)
        {
            case ModeAnswer.Accepted accepted:
                var token = accepted.Run?.Token;
                LogAccepted(logger, target.ToString(), runId, LogText.Safe(token), LogText.Safe(accepted.Run?.State)); // Mode's text
                if (!await ledger.CompleteAsync(key, claim, token))
                {
                    // Still done: answering RETRY would only lead to the duplicate run this record exists to prevent.
                    LogNotRecorded(logger, target.ToString(), runId, token);
                }

                if (token is not null)
                {
                    await publisher.PublishAsync(new ModeReportRunAccepted
                    {
                        RunId = runId,
                        JobId = evt.Data.JobId,
                        Workspace = target.Workspace,
                        Report = target.Report,
                        ModeRunToken = token,
                        State = accepted.Run?.State,
                    });
                    await tracker.FollowAsync(evt, target, token);
                }

                return new(target, Outcome.Done, "accepted") { ModeRunToken = token };
            case ModeAnswer.Refused refused:
                await ledger.FailAsync(key, claim, refused.Reason);
                LogPermanent(logger, target.ToString(), runId, refused.StatusCode, LogText.Safe(refused.Reason));
                return new(target, Outcome.Failed, refused.Reason);
            default:
                var unavailable = (ModeAnswer.Unavailable)result;
                await ledger.ReleaseAsync(key, claim);
                LogTransient(logger, target.ToString(), runId, LogText.Safe(unavailable.Reason));
                return new(target, Outcome.Retry, unavailable.Reason);
        }
    }

    [LoggerMessage(EventId = 530, Level = LogLevel.Information,
        Message = "Mode accepted report {Report} for dbt run {RunId}: run {ModeRunToken}, state {State}")]
    private static partial void LogAccepted(ILogger logger, string report, string runId, string? modeRunToken, string? state);

    [LoggerMessage(EventId = 531, Level = LogLevel.Information,
        Message = "Report {Report} already ran for dbt run {RunId} (Mode run {ModeRunToken}); not running it again")]
    private static partial void LogAlreadyDone(ILogger logger, string report, string runId, string? modeRunToken);

    [LoggerMessage(EventId = 532, Level = LogLevel.Information,
        Message = "Report {Report} for dbt run {RunId} is being run by another delivery since {Since}; asking for redelivery")]
    private static partial void LogInFlight(ILogger logger, string report, string runId, DateTimeOffset since);

    [LoggerMessage(EventId = 533, Level = LogLevel.Error,
        Message = "Report {Report} for dbt run {RunId} failed permanently: status {StatusCode}, {Reason}")]
    private static partial void LogPermanent(ILogger logger, string report, string runId, int statusCode, string reason);

    [LoggerMessage(EventId = 534, Level = LogLevel.Warning,
        Message = "Report {Report} for dbt run {RunId} failed for now, will retry on redelivery: {Reason}")]
    private static partial void LogTransient(ILogger logger, string report, string runId, string reason);

    [LoggerMessage(EventId = 536, Level = LogLevel.Error,
        Message = "Mode run {ModeRunToken} of report {Report} for dbt run {RunId} could not be recorded as done; a redelivery after the lease may run it again")]
    private static partial void LogNotRecorded(ILogger logger, string report, string runId, string? modeRunToken);

    [LoggerMessage(EventId = 535, Level = LogLevel.Warning,
        Message = "State store unavailable while claiming report {Report} for dbt run {RunId}")]
    private static partial void LogStateUnavailable(ILogger logger, Exception exception, string report, string runId);
}
