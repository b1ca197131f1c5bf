using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Lineage;
using ModeRefresh.Refresh.DeadLetters;
using ModeRefresh.Refresh.Planning.Exposures;
using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.Planning.Routing;
using ModeRefresh.Refresh.Subscription;

namespace ModeRefresh.Refresh.Runs;

/// <summary>Turns one delivered dbt run event into Mode report runs and the event's <see cref="Outcome"/>.</summary>
public sealed partial class RunCompletedHandler(
    ReportRouter router,
    ReportSweep sweep,
    DeadLetterStore deadLetters,
    ExposurePlanner exposures,
    HistoryRecorder history,
    IOptions<SubscriptionOptions> options,
    TimeProvider time,
    ILogger<RunCompletedHandler> logger)
{
    public async Task<Outcome> HandleAsync(string? cloudEventId, Stream body, CancellationToken ct)
    {
        var startedAt = time.GetUtcNow(); // the delivery's budget counts from here, dbt Cloud's answers included
        var data = await DbtEventReader.ReadBodyAsync(body, ct);
        var evt = DbtEventReader.TryParse(data, out var error);
        if (evt is null)
        {
            LogMalformed(logger, LogText.Safe(cloudEventId ?? "(no id)"), LogText.Safe(error));
            await deadLetters.SaveReasonAsync(cloudEventId, $"malformed event data: {error}");
            return Outcome.Failed;
        }

        // Ids are normalised by the reader (no control characters); the rest is logged through LogText.
        var run = evt.Data;
        if (evt.EventType != DbtEventTypes.RunCompleted)
        {
            LogSkippedType(logger, LogText.Safe(evt.EventId), LogText.Safe(evt.EventType));
            return Outcome.Done;
        }

        var succeeded = run.RunStatusCode == DbtEventTypes.SuccessStatusCode && run.RunStatus == DbtEventTypes.SuccessStatus;
        if (!succeeded && !exposures.Wants(run))
        {
            if (exposures.Enabled && !string.IsNullOrWhiteSpace(run.RunId))
            {
                await exposures.RecordNotEligibleAsync(evt); // "why didn't my dashboard refresh": kept for this run too
            }

            history.Skipped(evt);
            LogSkippedStatus(logger, LogText.Safe(evt.EventId), LogText.Safe(run.RunId), LogText.Safe(run.JobId), LogText.Safe(run.RunStatus), run.RunStatusCode);
            return Outcome.Done;
        }

        if (string.IsNullOrWhiteSpace(run.RunId))
        {
            // Without a run id there is nothing to deduplicate on; running anyway could repeat reports forever.
            LogMalformed(logger, LogText.Safe(evt.EventId), "data.runId is missing");
            await deadLetters.SaveReasonAsync(evt.EventId, "malformed event data: data.runId is missing");
            return Outcome.Failed;
        }

        // Configured routes keep their own rule (successful runs only); an errored run reaches here only for exposures.
        var configured = succeeded ? router.Match(run) : [];
        ExposurePlan? plan = null;
        var targets = configured;
        if (exposures.Enabled)
        {
            // Asked before the reports run, inside the delivery's budget (see ExposurePlanner.LineageBudget). When dbt
            // Cloud fails for now (Transient), the configured routes still run in this delivery and the answer is
            // Retry: they are not held back by dbt Cloud, and on the redelivery their run records say "already run".
            plan = await exposures.PlanAsync(evt, startedAt, ct);
            targets = exposures.Union(evt, configured, plan, out var configuredWins);
            await exposures.KeepAsync(evt, plan, configuredWins);
        }

        if (targets.Count == 0)
        {
            history.NotRouted(evt, plan?.Outcome.Explanation);
            if (plan is null)
            {
                LogNoReport(logger, LogText.Safe(run.JobId ?? "(none)"), LogText.Safe(evt.EventId), LogText.Safe(run.RunId));
            }

            return await ConcludeAsync(evt, Outcome.Done, null, plan);
        }

        // With exposures on, dbt Cloud's answers count against the budget; off, the budget starts with the reports, as always.
        var outcome = await sweep.RunAsync(evt, targets, ct, plan is null ? null : startedAt);
        var reports = outcome.Outcome;
        return await ConcludeAsync(evt, reports, reports == Outcome.Done ? null : outcome.Describe(options.Value.DeliveryBudget), plan, outcome.Total);
    }

    /// <summary>
    /// The reports' outcome combined with the exposures': dbt Cloud failing for now makes it Retry; failing for good
    /// (token refused, unreadable manifest) makes it Failed unless the reports still need a redelivery, with both
    /// reasons stored for the dead letter. NoArtifacts and NotEligible change nothing: configured routes only.
    /// </summary>
    private async Task<Outcome> ConcludeAsync(DbtRunEvent evt, Outcome reports, string? reportsReason, ExposurePlan? plan, int count = 0)
    {
        var lineage = plan?.Outcome switch
        {
            LineageOutcome.Transient => Outcome.Retry,
            LineageOutcome.Permanent => Outcome.Failed,
            _ => Outcome.Done,
        };
        var outcome = reports == Outcome.Retry || lineage == Outcome.Retry ? Outcome.Retry
            : reports == Outcome.Failed || lineage == Outcome.Failed ? Outcome.Failed
            : Outcome.Done;
        var runId = evt.Data.RunId!;
        if (outcome == Outcome.Done)
        {
            LogDone(logger, LogText.Safe(evt.EventId), LogText.Safe(runId), count);
            return outcome;
        }

        var reason = string.Join("; ", new[]
        {
            reportsReason,
            lineage == Outcome.Done ? null : $"exposures: {plan!.Outcome.Explanation}",
        }.Where(r => r is not null));
        LogNotDone(logger, LogText.Safe(evt.EventId), LogText.Safe(runId), outcome, LogText.Safe(reason, ExposurePlanner.MaxLoggedChars));
        await deadLetters.SaveReasonAsync(evt.EventId, reason);
        return outcome;
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Dropping event {EventId}: {Error}")]
    private static partial void LogMalformed(ILogger logger, string eventId, string error);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Skipping event {EventId}: type {EventType} is not job.run.completed")]
    private static partial void LogSkippedType(ILogger logger, string eventId, string eventType);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information,
        Message = "Skipping event {EventId}: dbt run {RunId} of job {JobId} did not succeed (status {RunStatus}, code {RunStatusCode})")]
    private static partial void LogSkippedStatus(ILogger logger, string eventId, string runId, string jobId, string runStatus, int? runStatusCode);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "no report configured for job {JobId} (event {EventId}, dbt run {RunId})")]
    private static partial void LogNoReport(ILogger logger, string jobId, string eventId, string runId);

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "Event {EventId} (dbt run {RunId}) not done, {Outcome}: {Reason}")]
    private static partial void LogNotDone(ILogger logger, string eventId, string runId, Outcome outcome, string reason);

    [LoggerMessage(EventId = 505, Level = LogLevel.Information, Message = "Event {EventId} (dbt run {RunId}) done: {Count} report(s) run")]
    private static partial void LogDone(ILogger logger, string eventId, string runId, int count);
}
