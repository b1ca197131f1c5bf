using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.DeadLetters;
using ModeRefresh.Refresh.Runs;
using ModeRefresh.Refresh.Subscription;

namespace ModeRefresh.Refresh.Delivery;

/// <summary>Logs each dead-lettered event with the reason it was given up, and keeps it for <c>GET /deadletters</c>.</summary>
public sealed partial class DeadLetterHandler(
    DeadLetterStore store, HistoryRecorder history, TimeProvider time, ILogger<DeadLetterHandler> logger, RefreshMetrics? metrics = null)
{
    private const string NoReason =
        "no reason recorded: redeliveries ran out, or the event was dropped before this service could say why";

    public async Task<TopicAnswer> HandleAsync(string? cloudEventId, Stream body, CancellationToken ct)
    {
        metrics?.DeadLetter();
        var data = await DbtEventReader.ReadBodyAsync(body, ct);
        var evt = DbtEventReader.TryParse(data, out _);

        // Reasons are stored under the dbt event id when the event was readable, else under the CloudEvent id.
        var reason = (evt is null ? null : await store.GetReasonAsync(evt.EventId, ct))
            ?? (cloudEventId is null ? null : await store.GetReasonAsync(cloudEventId, ct))
            ?? NoReason;
        LogDeadLetter(logger, DeadLetterStore.Bound(evt?.EventId ?? cloudEventId) ?? "(no id)",
            DeadLetterStore.Bound(evt?.Data.RunId), DeadLetterStore.Bound(evt?.Data.JobId), DeadLetterStore.BoundReason(reason));

        history.DeadLettered(evt, reason);
        var entry = new DeadLetterEntry
        {
            EventId = evt?.EventId,
            CloudEventId = cloudEventId,
            RunId = evt?.Data.RunId,
            JobId = evt?.Data.JobId,
            Reason = reason,
            DeadLetteredAt = time.GetUtcNow(),
        };

        // Not stored means not listable: ask for redelivery rather than lose it from the list. Whatever the data's
        // size, what is stored is bounded, so this is not an endless RETRY for a large event.
        return await store.AppendAsync(entry, data, ct) ? TopicAnswer.Success : TopicAnswer.Retry;
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Error,
        Message = "Dead-lettered event {EventId} (dbt run {RunId}, job {JobId}): {Reason}")]
    private static partial void LogDeadLetter(ILogger logger, string eventId, string? runId, string? jobId, string reason);
}
