using System.Collections.Concurrent;
using System.Threading.Channels;

namespace ModeRefresh.TestSupport;

/// <summary>
/// The subscriber half of a stand-in sidecar, as daprd does it: waits until the app's port accepts connections, asks
/// the app's subscriptions once, then delivers each message of each subscribed topic, redelivering with backoff and
/// dead-lettering as daprd does.
/// </summary>
internal sealed class StandInSubscriber(StandInBroker broker, StandInSidecarOptions options, Func<int> copies, CancellationToken stopping)
    : IDisposable
{
    private readonly StandInDeliveryOptions _delivery = options.Delivery;
    private readonly StandInAppChannel _app = new(options.AppChannel!, options.AppApiToken, options.Delivery.AttemptTimeout);
    private readonly TaskCompletionSource<StandInSubscribeResult> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<long, StandInAttempt> _inFlight = new();
    private long _attempts;

    /// <summary>Completes once the app was asked (and the answer acted on); daprd counts itself initialised then.</summary>
    public Task<StandInSubscribeResult> Subscribed => _subscribed.Task;

    /// <summary>
    /// Attempts sent to the app and not answered yet. A delivery is recorded only once answered (or after the attempt
    /// timeout), so without this a test that timed out could not tell "never sent" from "the app holds it".
    /// </summary>
    public IReadOnlyList<StandInAttempt> InFlight => [.. _inFlight.OrderBy(kv => kv.Key).Select(kv => kv.Value)];

    public void Start() => _ = Task.Run(RunAsync, stopping);

    // Stopping ends the pumps: the sidecar takes no more messages from its groups, which keep them for the others.
    public void Dispose() => _app.Dispose();

    private async Task RunAsync()
    {
        try
        {
            // dapr/dapr v1.18.0 pkg/runtime/runtime.go: initRuntime blocks until the app listens (blockUntilAppIsReady),
            // then, with no app health check configured, starts the app's subscriptions (appHealthChanged ->
            // StartAppSubscriptions -> initProgrammaticSubscriptions), which reads /dapr/subscribe once (hasInitProg).
            await _app.WaitForPortAsync(stopping);
            var result = await _app.ReadSubscriptionsAsync(stopping);
            foreach (var subscription in result.Subscriptions)
            {
                // The consumer group is the app id: daprd's default consumerID (see StandInBroker).
                var queue = broker.Join(subscription.PubsubName, subscription.Topic, options.AppId);
                _ = Task.Run(() => PumpAsync(subscription, queue), stopping);
            }

            _subscribed.TrySetResult(result);
        }
        catch (OperationCanceledException)
        {
            _subscribed.TrySetCanceled(stopping);
        }
    }

    private async Task PumpAsync(StandInSubscription subscription, ChannelReader<BrokerMessage> reader)
    {
        using var slots = new SemaphoreSlim(_delivery.MaxConcurrency);
        try
        {
            while (true)
            {
                // A free slot first: a busy replica leaves the group's next message to another one.
                await slots.WaitAsync(stopping);
                BrokerMessage message;
                try
                {
                    message = await reader.ReadAsync(stopping);
                }
                catch
                {
                    slots.Release();
                    throw;
                }

                _ = Task.Run(async () =>
                {
                    try
                    {
                        await DeliverCopiesAsync(subscription, message);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // The sidecar is stopping.
        }
    }

    private async Task DeliverCopiesAsync(StandInSubscription subscription, BrokerMessage message)
    {
        var n = Math.Max(1, copies());
        if (_delivery.ConcurrentCopies)
        {
            await Task.WhenAll(Enumerable.Range(1, n).Select(c => DeliverAsync(subscription, message, c)));
            return;
        }

        for (var c = 1; c <= n; c++)
        {
            await DeliverAsync(subscription, message, c);
        }
    }

    private async Task DeliverAsync(StandInSubscription subscription, BrokerMessage message, int copy)
    {
        try
        {
            var traceParent = message.Envelope["traceparent"]?.ToString();
            for (var attempt = 1; ; attempt++)
            {
                var key = Interlocked.Increment(ref _attempts);
                _inFlight[key] = new StandInAttempt(subscription.Topic, message.Id, copy, attempt, broker.Clock.GetUtcNow());
                (StandInAnswer Answer, int? Status) answered;
                try
                {
                    answered = await _app.DeliverAsync(subscription.Route, message.CloudEvent, traceParent, stopping);
                }
                finally
                {
                    _inFlight.TryRemove(key, out _);
                }

                var (answer, status) = answered;
                broker.Record(new StandInDelivery(options.AppId, subscription.PubsubName, subscription.Topic, subscription.Route,
                    message.Id, copy, attempt, answer, status, broker.Clock.GetUtcNow(), options.AppChannel!));
                switch (answer)
                {
                    case StandInAnswer.Success:
                        return;
                    // Both end in pubsub.ErrMessageDropped, which pkg/runtime/subscription/subscription.go sends to
                    // the dead-letter topic (dapr/dapr v1.18.0). A 404 does so from daprd 1.17 on: in v1.16.0
                    // postman/http/http.go answered a 404 with nil, so the message was acked and never dead-lettered.
                    // We target 1.18 (README prerequisites).
                    case StandInAnswer.Drop or StandInAnswer.NotFound:
                        DeadLetter(subscription, message);
                        return;
                    case var _ when attempt >= _delivery.MaxAttempts:
                        DeadLetter(subscription, message);
                        return;
                }

                await Task.Delay(Backoff(attempt), stopping);
            }
        }
        catch (OperationCanceledException)
        {
            // The sidecar is stopping: the message stays undelivered, as with a daprd that was shut down.
        }
    }

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(_delivery.MaxBackoff.Ticks, _delivery.InitialBackoff.Ticks * (1L << Math.Min(attempt - 1, 20))));

    // The original CloudEvent goes to the dead-letter topic; without one, daprd discards the message.
    private void DeadLetter(StandInSubscription subscription, BrokerMessage message)
    {
        if (subscription.DeadLetterTopic is { } topic)
        {
            broker.Publish(subscription.PubsubName, topic, message.Envelope, deadLetterOf: message.Topic);
        }
    }
}

/// <summary>One delivery attempt sent to the app and not answered yet.</summary>
public sealed record StandInAttempt(string Topic, string MessageId, int Copy, int Attempt, DateTimeOffset SentAt);
