using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Ingress.Sidecar;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress.Publishing;

/// <summary>
/// Publishes verified events through the Dapr sidecar, bounded in time. Concurrent webhooks are gathered into bulk
/// publishes (group commit): a sender takes everything queued while the previous call was in flight, so one webhook
/// alone goes out at once, and a burst costs one sidecar call per batch instead of one per webhook. Each webhook
/// still waits for its own event's result.
/// </summary>
public sealed class EventPublisher(SidecarPublishApi api, IOptions<IngressOptions> options, IOptions<DaprOptions> components,
    SidecarReachability reachability,
    TimeProvider time, ILogger<EventPublisher> logger, IngressMetrics? metrics = null) : IHostedService
{
    /// <summary>
    /// The contract's own serialisation (camelCase, nulls left out), escaping only what JSON needs: the published event
    /// stays about the size of the webhook, whatever characters it carries.
    /// </summary>
    internal static readonly JsonTypeInfo<DbtRunEvent> PublishedJson = (JsonTypeInfo<DbtRunEvent>)
        new JsonSerializerOptions(ContractsJsonContext.Default.Options) { Encoder = MinimalJsonEncoder.Instance }.GetTypeInfo(typeof(DbtRunEvent));

    private readonly Channel<PendingPublish> _queue = Channel.CreateUnbounded<PendingPublish>();
    private Task _senders = Task.CompletedTask;

    /// <summary>Returns once the sidecar accepted the event, or why it did not within <see cref="IngressOptions.PublishTimeout"/>.</summary>
    public async Task<PublishOutcome> PublishAsync(string topic, DbtRunEvent evt, CancellationToken ct)
    {
        var data = JsonSerializer.SerializeToUtf8Bytes(evt, PublishedJson);
        // The array is ours alone and never changed again, so protobuf may wrap it instead of copying it.
        var entry = new BulkPublishRequestEntry { Event = UnsafeByteOperations.UnsafeWrap(data), ContentType = "application/json" };
        AddMetadata(entry.Metadata, evt);
        AddTraceContext(entry.Metadata, Activity.Current);
        var pending = new PendingPublish(topic, entry, data.Length);
        if (!_queue.Writer.TryWrite(pending)) return new PublishOutcome("shutting down");

        try
        {
            return await pending.Outcome.WaitAsync(options.Value.PublishTimeout, time, ct);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            pending.Abandon();
            return new PublishOutcome(ex is TimeoutException ? "timed out" : "request aborted");
        }
    }

    /// <summary>
    /// CloudEvent overrides, and the ids brokers dedupe on: the dbt eventId becomes the CloudEvent id and
    /// the broker message id, so a dbt retry of the same event is recognisable downstream.
    /// </summary>
    public static void AddMetadata(IDictionary<string, string> metadata, DbtRunEvent evt) =>
        CloudEventMetadata.AddDbtRunEvent(metadata, evt, messageId: evt.EventId);

    /// <summary>
    /// The webhook's trace context, per event. Events of many webhooks share one bulk call, so the call's own gRPC
    /// <c>traceparent</c> can name only one of them; daprd lets each entry override the CloudEvent's trace fields
    /// (dapr/dapr v1.18.0 pkg/runtime/pubsub/cloudevents.go: <c>cloudevent.traceparent</c> wins over the traceid
    /// daprd derives from the call's span, pkg/api/grpc/grpc.go BulkPublishEvent/PublishEvent pass entry metadata to
    /// NewCloudEvent), and puts it on the delivery's <c>traceparent</c> header to the subscriber
    /// (pkg/runtime/pubsub/subscriptions.go reads traceparent, else traceid, from the CloudEvent).
    /// </summary>
    public static void AddTraceContext(IDictionary<string, string> metadata, Activity? activity)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { } id) return;
        metadata[CloudEventMetadata.TraceParent] = id;
        if (activity.TraceStateString is { Length: > 0 } state) metadata[CloudEventMetadata.TraceState] = state;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var sender = new PublishBatchSender(api, o, components.Value, reachability, time, logger, metrics);
        _senders = Task.WhenAll(Enumerable.Range(0, o.PublishConcurrency).Select(_ => Task.Run(() => sender.RunAsync(_queue.Reader))));
        return Task.CompletedTask;
    }

    /// <summary>
    /// The web server stops first (it is the last hosted service to start), so no webhook is still being read here:
    /// what is queued is sent, and every waiting webhook gets its answer before the process ends.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _senders.WaitAsync(cancellationToken);
    }
}
