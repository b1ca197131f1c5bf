using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Refresh.State;
using ModeRefresh.Refresh.Planning.Routing;
using ModeRefresh.ServiceDefaults;
using ModeRefresh.Refresh.Sidecar;
using ModeRefresh.Refresh.Subscription;

namespace ModeRefresh.Refresh.DeadLetters;

/// <summary>What <c>POST /deadletters/{id}/replay</c> did.</summary>
/// <param name="Reports">The reports the event routes to now (<c>workspace/report</c>).</param>
/// <param name="Cleared">Those whose "failed" record was cleared, so they run again.</param>
public sealed record ReplayAnswer(string Id, string EventId, string? RunId, int Replays, IReadOnlyList<string> Reports, IReadOnlyList<string> Cleared);

/// <summary>
/// Replays a dead letter: clears the "failed" run records of the reports its event routes to, then publishes the
/// event to <c>Subscription:CompletedTopic</c> again, as Ingress published it, so it is delivered like a new one. Reports
/// already done stay done (their records are kept), so replaying twice publishes twice but runs nothing twice.
/// </summary>
public sealed partial class DeadLetterReplay(
    DeadLetterStore store,
    RunLedger ledger,
    ReportRouter router,
    DaprClient dapr,
    IOptions<DaprOptions> components,
    IOptions<SubscriptionOptions> topics,
    TimeProvider time,
    ILogger<DeadLetterReplay> logger)
{
    public abstract record Result
    {
        public sealed record Replayed(ReplayAnswer Answer) : Result;
        public sealed record NotFound : Result;
        public sealed record NotReplayable(string Reason) : Result;
    }

    /// <exception cref="DaprException">The state store or pub/sub could not be used; nothing was published.</exception>
    public async Task<Result> ReplayAsync(string id, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } entry)
        {
            return new Result.NotFound();
        }

        if (entry.PayloadTruncated == true || entry.Payload is not { } payload)
        {
            return new Result.NotReplayable(entry.PayloadTruncated == true
                ? "its data was larger than DeadLetters:MaxPayloadBytes and only its start was kept"
                : "its data is not JSON");
        }

        var data = Encoding.UTF8.GetBytes(payload.GetRawText());
        if (DbtEventReader.TryParse(data, out var error) is not { } evt)
        {
            return new Result.NotReplayable($"its data is not a dbt run event: {error}");
        }

        var reports = new List<string>();
        var cleared = new List<string>();
        if (evt.Data.RunId is { Length: > 0 } runId)
        {
            foreach (var target in router.Match(evt.Data))
            {
                reports.Add(target.ToString());
                if (await ledger.ClearFailedAsync(RunLedger.KeyFor(target, runId), ct))
                {
                    cleared.Add(target.ToString());
                }
            }
        }

        // Marked before publishing: a replay that fails again at once must be listed anew, not taken for a redelivery.
        var marked = await store.MarkReplayedAsync(id, time.GetUtcNow(), ct);
        var replays = (marked?.Replays ?? 0) + 1;
        var metadata = Metadata(evt, replays);
        await components.Value.WithDeadline(
            t => dapr.PublishByteEventAsync(components.Value.PubsubName, topics.Value.CompletedTopic, data, "application/json", metadata, t), ct);
        LogReplayed(logger, id, DeadLetterStore.Bound(evt.EventId)!, replays, string.Join(", ", cleared));
        return new Result.Replayed(new ReplayAnswer(id, evt.EventId, evt.Data.RunId, replays, reports, cleared));
    }

    /// <summary>
    /// The metadata Ingress publishes with (CloudEventMetadata.AddDbtRunEvent in services/Contracts): the dbt event
    /// id as CloudEvent id, type, source, subject and Kafka partition key. Only the broker message id differs: a broker
    /// that drops duplicate message ids (Service Bus duplicate detection) would otherwise drop the replay.
    /// </summary>
    internal static Dictionary<string, string> Metadata(DbtRunEvent evt, int replay)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        CloudEventMetadata.AddDbtRunEvent(metadata, evt, CloudEventMetadata.ReplayMessageId(evt.EventId, replay));
        return metadata;
    }

    [LoggerMessage(EventId = 620, Level = LogLevel.Information,
        Message = "Dead letter {Id} (event {EventId}) replayed (replay {Replays}); failed records cleared: [{Cleared}]")]
    private static partial void LogReplayed(ILogger logger, string id, string eventId, int replays, string cleared);
}
