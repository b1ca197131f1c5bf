using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ModeRefresh.TestSupport;

/// <summary>
/// An in-process message broker shared by stand-in sidecars: what one sidecar accepts as a publish, the subscribed
/// sidecars deliver to their apps. Subscribers form consumer groups, one per app id, as daprd names them: a message is
/// delivered once to each app id subscribed to its topic, by ONE of that app id's sidecars (competing consumers).
/// </summary>
/// <remarks>
/// daprd passes every pub/sub component <c>consumerID</c>, the app id unless the component sets it (dapr/dapr v1.18.0
/// pkg/runtime/processor/pubsub/pubsub.go <c>Init</c>). components-contrib v1.18.0 uses it as the consumer group:
/// Redis Streams creates the group <c>consumerID</c> from the stream's start (pubsub/redis/redis.go
/// <c>CreateConsumerGroup</c>: XGROUP CREATE … "0") and every replica reads it as the same consumer name with
/// XREADGROUP ">" (pollNewMessagesLoop; the name is settings.go's <c>ConsumerID</c> in common/component/redis), so a
/// message goes to one replica; Kafka takes <c>consumerGroup</c>, else <c>consumerID</c> (common/component/kafka/metadata.go).
/// Hence the model: a group is made with the first subscription of its app id to a topic and starts with the topic's
/// backlog; a later member (a second replica, a restarted sidecar) gets only what the group has not handed out yet;
/// a message published while no member is subscribed waits for one. A member takes a message when it has a free
/// delivery slot. Redelivery after RETRY stays with the sidecar that took the message: daprd retries it in its own
/// resiliency runner (pkg/runtime/subscription/subscription.go), and Redis Streams then acks it either way
/// (redis.go <c>processMessage</c>). Not modelled: Redis' reclaim of a message left pending by a sidecar that died
/// mid-delivery (<c>reclaimPendingMessagesLoop</c>, after processingTimeout, by any replica), Kafka's partitions
/// (with one partition one replica gets every message), and the read-ahead of up to queueDepth messages.
/// </remarks>
public sealed class StandInBroker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string PubsubName, string Topic, string Group), Channel<BrokerMessage>> _groups = [];
    private readonly WaitableList<BrokerMessage> _messages = new();
    private readonly WaitableList<StandInDelivery> _deliveries = new();

    public StandInBroker(TimeProvider? timeProvider = null) => Clock = timeProvider ?? TimeProvider.System;

    /// <summary>Every message stored, in publish order, dead letters included.</summary>
    public IReadOnlyList<BrokerMessage> Messages => _messages.Snapshot();

    /// <summary>Every attempt to deliver a message to an app, with the app's answer, in the order answered.</summary>
    public IReadOnlyList<StandInDelivery> Deliveries => _deliveries.Snapshot();

    internal TimeProvider Clock { get; }

    public IReadOnlyList<BrokerMessage> MessagesOn(string topic) => [.. Messages.Where(m => m.Topic == topic)];

    /// <summary>Waits until the stored messages satisfy <paramref name="condition"/>; TimeoutException otherwise.</summary>
    public Task WaitForMessagesAsync(Func<IReadOnlyList<BrokerMessage>, bool> condition, TimeSpan timeout) =>
        _messages.WaitAsync(condition, timeout, "The broker's messages");

    /// <summary>Waits until the recorded deliveries satisfy <paramref name="condition"/>; TimeoutException otherwise.</summary>
    public Task WaitForDeliveriesAsync(Func<IReadOnlyList<StandInDelivery>, bool> condition, TimeSpan timeout) =>
        _deliveries.WaitAsync(condition, timeout, "The broker's deliveries");

    /// <summary>Stores a CloudEvent and queues it for every consumer group subscribed to its topic.</summary>
    internal BrokerMessage Publish(string pubsubName, string topic, JsonObject cloudEvent, string? deadLetterOf = null)
    {
        var message = new BrokerMessage(
            pubsubName, topic, cloudEvent["id"]?.ToString() ?? "", cloudEvent.ToJsonString(), Clock.GetUtcNow(), deadLetterOf);
        lock (_gate)
        {
            // Inside the lock, so a group being made sees each message exactly once: in its backlog or here.
            _messages.Add(message);
            foreach (var (key, queue) in _groups)
            {
                if (key.PubsubName == pubsubName && key.Topic == topic)
                {
                    queue.Writer.TryWrite(message);
                }
            }
        }

        return message;
    }

    /// <summary>
    /// A sidecar of app id <paramref name="consumerGroup"/> joins the group on a topic: the queue its members take
    /// messages from, each message by one of them. The first member makes the group, which starts with the backlog.
    /// </summary>
    internal ChannelReader<BrokerMessage> Join(string pubsubName, string topic, string consumerGroup)
    {
        var key = (pubsubName, topic, consumerGroup);
        lock (_gate)
        {
            if (!_groups.TryGetValue(key, out var queue))
            {
                _groups[key] = queue = Channel.CreateUnbounded<BrokerMessage>();
                foreach (var m in _messages.Snapshot().Where(m => m.PubsubName == pubsubName && m.Topic == topic))
                {
                    queue.Writer.TryWrite(m);
                }
            }

            return queue.Reader;
        }
    }

    internal void Record(StandInDelivery delivery) => _deliveries.Add(delivery);
}

/// <summary>A message as the broker stores it: the CloudEvent envelope (JSON text) on a topic.</summary>
/// <param name="Id">The CloudEvent id.</param>
/// <param name="DeadLetterOf">For a dead letter, the topic it could not be delivered on; else null.</param>
public sealed record BrokerMessage(
    string PubsubName, string Topic, string Id, string CloudEvent, DateTimeOffset At, string? DeadLetterOf = null)
{
    public JsonObject Envelope => JsonNode.Parse(CloudEvent)!.AsObject();
}

/// <summary>How an app answered one delivery attempt, read by Dapr's rules.</summary>
public enum StandInAnswer
{
    /// <summary>2xx with no body, a body that is not a status object, or status SUCCESS.</summary>
    Success,

    /// <summary>2xx with status RETRY, or an unknown status.</summary>
    Retry,

    /// <summary>2xx with status DROP.</summary>
    Drop,

    /// <summary>404: dropped, as daprd does.</summary>
    NotFound,

    /// <summary>Any other non-2xx status: retried.</summary>
    Failed,

    /// <summary>No answer: connection refused or reset, or slower than the attempt timeout. Retried.</summary>
    Unreachable,
}

/// <summary>One delivery attempt of one copy of a message to an app route.</summary>
/// <param name="Copy">Which at-least-once copy (1-based).</param>
/// <param name="Attempt">1 for the first attempt of that copy, 2 for its first redelivery, ...</param>
/// <param name="HttpStatus">The app's status code, or null when it did not answer.</param>
/// <param name="App">The app channel the sidecar delivered to: tells replicas of one app id apart.</param>
public sealed record StandInDelivery(
    string AppId, string PubsubName, string Topic, string Route, string MessageId, int Copy, int Attempt,
    StandInAnswer Answer, int? HttpStatus, DateTimeOffset At, Uri App);
