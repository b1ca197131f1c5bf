using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ModeRefresh.TestSupport;

/// <summary>
/// An in-process message broker shared by stand-in sidecars: what one sidecar accepts as a publish, every
/// subscribed sidecar delivers to its app. Messages are kept, and a subscription made later first receives the
/// backlog of its topic, as a durable consumer group that starts at the beginning of a stream would. Each sidecar
/// is its own consumer group: two sidecars subscribed to one topic both get every message.
/// </summary>
public sealed class StandInBroker
{
    private readonly Lock _gate = new();
    private readonly List<(string PubsubName, string Topic, ChannelWriter<BrokerMessage> Writer)> _subscribers = [];
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

    /// <summary>Stores a CloudEvent and hands it to every subscription of its topic.</summary>
    internal BrokerMessage Publish(string pubsubName, string topic, JsonObject cloudEvent, string? deadLetterOf = null)
    {
        var message = new BrokerMessage(
            pubsubName, topic, cloudEvent["id"]?.ToString() ?? "", cloudEvent.ToJsonString(), Clock.GetUtcNow(), deadLetterOf);
        lock (_gate)
        {
            // Inside the lock, so a subscription being made sees each message exactly once: in its backlog or here.
            _messages.Add(message);
            foreach (var s in _subscribers.Where(s => s.PubsubName == pubsubName && s.Topic == topic))
            {
                s.Writer.TryWrite(message);
            }
        }

        return message;
    }

    /// <summary>Subscribes <paramref name="writer"/> to a topic: the backlog first, then each new message.</summary>
    internal IDisposable Subscribe(string pubsubName, string topic, ChannelWriter<BrokerMessage> writer)
    {
        var entry = (pubsubName, topic, writer);
        lock (_gate)
        {
            foreach (var m in _messages.Snapshot().Where(m => m.PubsubName == pubsubName && m.Topic == topic))
            {
                writer.TryWrite(m);
            }

            _subscribers.Add(entry);
        }

        return new Unsubscriber(() =>
        {
            lock (_gate)
            {
                _subscribers.Remove(entry);
            }
        });
    }

    internal void Record(StandInDelivery delivery) => _deliveries.Add(delivery);

    private sealed class Unsubscriber(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
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
public sealed record StandInDelivery(
    string AppId, string PubsubName, string Topic, string Route, string MessageId, int Copy, int Attempt,
    StandInAnswer Answer, int? HttpStatus, DateTimeOffset At);
