using System.Text.Json;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;

namespace ModeRefresh.Ingress.Publishing;

/// <summary>Publishes a verified event through the Dapr sidecar, bounded in time.</summary>
public sealed class EventPublisher(DaprClient dapr, IOptions<IngressOptions> options, TimeProvider time)
{
    /// <summary>Returns once the sidecar accepted the event; throws when it failed or took too long.</summary>
    public async Task PublishAsync(string topic, DbtRunEvent evt, CancellationToken ct)
    {
        var o = options.Value;
        var data = JsonSerializer.SerializeToUtf8Bytes(evt, ContractsJsonContext.Default.DbtRunEvent);
        using var timeout = new CancellationTokenSource(o.PublishTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, ct);
        await dapr.PublishByteEventAsync(o.PubSubName, topic, data, "application/json", Metadata(evt), linked.Token);
    }

    /// <summary>
    /// CloudEvent overrides, and the ids brokers dedupe on: the dbt eventId becomes the CloudEvent id and
    /// the broker message id, so a dbt retry of the same event is recognisable downstream.
    /// </summary>
    public static Dictionary<string, string> Metadata(DbtRunEvent evt)
    {
        var metadata = new Dictionary<string, string>(6)
        {
            ["cloudevent.id"] = evt.EventId,
            ["cloudevent.type"] = "com.getdbt.cloud." + evt.EventType,
            ["cloudevent.source"] = "https://cloud.getdbt.com/accounts/" + (evt.AccountId ?? "unknown"),
            // Service Bus reads MessageId; RabbitMQ reads messageID case-insensitively.
            ["MessageId"] = evt.EventId,
        };
        if (evt.Data.RunId is { Length: > 0 } runId) metadata["cloudevent.subject"] = runId;
        // Kafka orders per partition key: one job's runs stay in order.
        if (evt.Data.JobId is { Length: > 0 } jobId) metadata["partitionKey"] = jobId;
        return metadata;
    }
}
