using ModeRefresh.Contracts;
using ModeRefresh.Refresh.DeadLetters;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.Routing;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.Subscription;

/// <summary>Turns one delivered dbt run event into Mode report runs and Dapr's answer.</summary>
public sealed partial class RunCompletedHandler(
    ReportRouter router,
    ReportSweep sweep,
    DeadLetterStore deadLetters,
    IOptions<SubscriptionOptions> options,
    ILogger<RunCompletedHandler> logger)
{
    public async Task<TopicAnswer> HandleAsync(string? cloudEventId, Stream body, CancellationToken ct)
    {
        var data = await DbtEventReader.ReadBodyAsync(body, ct);
        var evt = DbtEventReader.TryParse(data, out var error);
        if (evt is null)
        {
            LogMalformed(logger, LogText.Safe(cloudEventId ?? "(no id)"), LogText.Safe(error));
            await deadLetters.SaveReasonAsync(cloudEventId, $"malformed event data: {error}");
            return TopicAnswer.Drop;
        }

        // Ids are normalised by the reader (no control characters); the rest is logged through LogText.
        var run = evt.Data;
        if (evt.EventType != DbtEventTypes.RunCompleted)
        {
            LogSkippedType(logger, LogText.Safe(evt.EventId), LogText.Safe(evt.EventType));
            return TopicAnswer.Success;
        }

        if (run.RunStatusCode != DbtEventTypes.SuccessStatusCode || run.RunStatus != DbtEventTypes.SuccessStatus)
        {
            LogSkippedStatus(logger, LogText.Safe(evt.EventId), LogText.Safe(run.RunId), LogText.Safe(run.JobId), LogText.Safe(run.RunStatus), run.RunStatusCode);
            return TopicAnswer.Success;
        }

        if (string.IsNullOrWhiteSpace(run.RunId))
        {
            // Without a run id there is nothing to deduplicate on; running anyway could repeat reports forever.
            LogMalformed(logger, LogText.Safe(evt.EventId), "data.runId is missing");
            await deadLetters.SaveReasonAsync(evt.EventId, "malformed event data: data.runId is missing");
            return TopicAnswer.Drop;
        }

        var targets = router.Match(run);
        if (targets.Count == 0)
        {
            LogNoReport(logger, LogText.Safe(run.JobId ?? "(none)"), LogText.Safe(evt.EventId), LogText.Safe(run.RunId));
            return TopicAnswer.Success;
        }

        var outcome = await sweep.RunAsync(evt, targets, ct);
        var answer = outcome.Answer;
        if (answer != TopicAnswer.Success)
        {
            var reason = outcome.Describe(options.Value.DeliveryBudget);
            LogNotDone(logger, LogText.Safe(evt.EventId), LogText.Safe(run.RunId), answer.Status, reason);
            await deadLetters.SaveReasonAsync(evt.EventId, reason);
        }
        else
        {
            LogDone(logger, LogText.Safe(evt.EventId), LogText.Safe(run.RunId), outcome.Total);
        }

        return answer;
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

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "Event {EventId} (dbt run {RunId}) answered {Answer}: {Reason}")]
    private static partial void LogNotDone(ILogger logger, string eventId, string runId, string answer, string reason);

    [LoggerMessage(EventId = 505, Level = LogLevel.Information, Message = "Event {EventId} (dbt run {RunId}) done: {Count} report(s) run")]
    private static partial void LogDone(ILogger logger, string eventId, string runId, int count);
}
