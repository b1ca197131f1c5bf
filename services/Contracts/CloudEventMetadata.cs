using System.Globalization;

namespace ModeRefresh.Contracts;

/// <summary>
/// The publish metadata both services send with an event, and the CloudEvent attribute Refresh reads back. daprd
/// builds the CloudEvent envelope from the publish call and lets metadata keys starting with <c>cloudevent.</c>
/// override its fields (dapr/dapr v1.18.0 pkg/runtime/pubsub/cloudevents.go, <c>CloudEvent</c> and
/// <c>NewCloudEvent</c>: id, source, type, subject, traceid, traceparent, tracestate); the other keys are read by the
/// broker component (components-contrib v1.18.0 common/component/azure/servicebus/message.go <c>MessageId</c>,
/// common/component/kafka/metadata.go <c>partitionKey</c>).
/// </summary>
public static class CloudEventMetadata
{
    /// <summary>Overrides the CloudEvent <c>id</c>: the dbt eventId, so a dbt retry of one event keeps one id.</summary>
    public const string Id = "cloudevent.id";

    /// <summary>Overrides the CloudEvent <c>type</c>.</summary>
    public const string Type = "cloudevent.type";

    /// <summary>Overrides the CloudEvent <c>source</c>.</summary>
    public const string Source = "cloudevent.source";

    /// <summary>Overrides the CloudEvent <c>subject</c>: the dbt run id.</summary>
    public const string Subject = "cloudevent.subject";

    /// <summary>Overrides the CloudEvent <c>traceparent</c> (and, through it, <c>traceid</c>) with the webhook's trace.</summary>
    public const string TraceParent = "cloudevent.traceparent";

    /// <summary>Overrides the CloudEvent <c>tracestate</c>.</summary>
    public const string TraceState = "cloudevent.tracestate";

    /// <summary>The broker message id (Service Bus reads <c>MessageId</c>; RabbitMQ reads <c>messageID</c> case-insensitively).</summary>
    public const string MessageId = "MessageId";

    /// <summary>Kafka's (and Event Hubs') partition key: one dbt job's runs stay in order.</summary>
    public const string PartitionKey = "partitionKey";

    /// <summary>The CloudEvent attribute Refresh reads back from a delivery: the id Ingress set through <see cref="Id"/>.</summary>
    public const string IdAttribute = "id";

    /// <summary>The CloudEvent type of a dbt run event is this followed by dbt's eventType (<c>com.getdbt.cloud.job.run.completed</c>).</summary>
    public const string DbtTypePrefix = "com.getdbt.cloud.";

    /// <summary>The CloudEvent source of a dbt run event is this followed by the dbt account id.</summary>
    public const string DbtSourcePrefix = "https://cloud.getdbt.com/accounts/";

    /// <summary>The CloudEvent type of <see cref="ModeReportRunFinished"/>.</summary>
    public const string ModeReportRunFinishedType = "com.moderefresh.mode.report.run.finished";

    /// <summary>
    /// The metadata of a dbt run event, as Ingress publishes it and Refresh replays it: the dbt event id as CloudEvent
    /// id, type and source from dbt's event type and account, the run id as subject, the job id as partition key, and
    /// <paramref name="messageId"/> as the broker message id (brokers dedupe on it: Ingress gives the dbt event id, a
    /// replay its own).
    /// </summary>
    public static void AddDbtRunEvent(IDictionary<string, string> metadata, DbtRunEvent evt, string messageId)
    {
        metadata[Id] = evt.EventId;
        metadata[Type] = DbtTypePrefix + evt.EventType;
        metadata[Source] = DbtSourcePrefix + (evt.AccountId ?? "unknown");
        metadata[MessageId] = messageId;
        if (evt.Data.RunId is { Length: > 0 } runId) metadata[Subject] = runId;
        if (evt.Data.JobId is { Length: > 0 } jobId) metadata[PartitionKey] = jobId;
    }

    /// <summary>The broker message id of a dead letter's replay number <paramref name="replay"/>.</summary>
    public static string ReplayMessageId(string eventId, int replay) =>
        $"{eventId}:replay:{replay.ToString(CultureInfo.InvariantCulture)}";
}
