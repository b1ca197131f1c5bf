using System.Text;
using Dapr.Client;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>
/// Consumer groups, as daprd names them (the app id is the default <c>consumerID</c>: dapr/dapr v1.18.0
/// pkg/runtime/processor/pubsub/pubsub.go): replicas of one app id share a topic's messages, each to one of them;
/// each app id gets every message.
/// </summary>
public sealed class ConsumerGroupTests
{
    private const string Subscriptions = """[{"pubsubname":"pubsub","topic":"runs","route":"/events/runs"}]""";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Publish_TwoSidecarsOfOneAppId_EachMessageToExactlyOneOfThem()
    {
        var broker = new StandInBroker();
        await using var first = await SubscriberApp.StartAsync(Subscriptions);
        await using var second = await SubscriberApp.StartAsync(Subscriptions);
        // One delivery at a time each, and a slow app: a replica that is busy leaves the next message to the other.
        first.Delay = second.Delay = TimeSpan.FromMilliseconds(300);
        var oneAtATime = new StandInDeliveryOptions { MaxConcurrency = 1 };
        await using var publisher = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "ingress" }, Sdk.Ct);
        await using var a = await SubscriberAsync(broker, "refresh", first, oneAtATime);
        await using var b = await SubscriberAsync(broker, "refresh", second, oneAtATime);
        using var dapr = Sdk.ClientFor(publisher);

        await PublishAsync(dapr, "m-1");
        await Sdk.EventuallyAsync(() => first.Received.Count + second.Received.Count == 1, "m-1 taken by one replica");
        await PublishAsync(dapr, "m-2"); // the replica that took m-1 is still busy with it
        for (var n = 3; n <= 12; n++)
        {
            await PublishAsync(dapr, $"m-{n}");
        }

        await broker.WaitForDeliveriesAsync(d => d.Count >= 12, Wait);
        await Task.Delay(TimeSpan.FromMilliseconds(500), Sdk.Ct); // a second copy of any would have come by now

        var deliveries = broker.Deliveries;
        Assert.Equal(Enumerable.Range(1, 12).Select(n => $"m-{n}").Order(StringComparer.Ordinal),
            deliveries.Select(d => d.MessageId).Order(StringComparer.Ordinal));
        Assert.Equal(12, first.Received.Count + second.Received.Count);
        Assert.All(deliveries, d => Assert.Equal("refresh", d.AppId));
        var taker = deliveries.Single(d => d.MessageId == "m-1").App;
        Assert.NotEqual(taker, deliveries.Single(d => d.MessageId == "m-2").App);
        Assert.Equal(2, deliveries.Select(d => d.App).Distinct().Count());
    }

    /// <summary>
    /// daprd retries a RETRY in its own resiliency runner (pkg/runtime/subscription/subscription.go), and Redis
    /// Streams acks the message after the handler either way (components-contrib v1.18.0 pubsub/redis/redis.go
    /// processMessage): every attempt comes from the sidecar that took the message, never from another replica.
    /// </summary>
    [Fact]
    public async Task Deliver_RetryAnsweredWithTwoReplicas_RedeliveredBySameSidecarOnly()
    {
        var broker = new StandInBroker();
        await using var first = await SubscriberApp.StartAsync(Subscriptions);
        await using var second = await SubscriberApp.StartAsync(Subscriptions);
        first.Answer = second.Answer = (_, n) => n <= 2 ? (200, """{"status":"RETRY"}""") : (200, null);
        var fast = new StandInDeliveryOptions { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(40) };
        await using var publisher = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "ingress" }, Sdk.Ct);
        await using var a = await SubscriberAsync(broker, "refresh", first, fast);
        await using var b = await SubscriberAsync(broker, "refresh", second, fast);
        using var dapr = Sdk.ClientFor(publisher);

        await PublishAsync(dapr, "m-r");
        await broker.WaitForDeliveriesAsync(d => d.Any(x => x.Answer == StandInAnswer.Success), Wait);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Sdk.Ct);

        var deliveries = broker.Deliveries;
        Assert.Equal([(1, StandInAnswer.Retry), (2, StandInAnswer.Retry), (3, StandInAnswer.Success)],
            deliveries.Select(d => (d.Attempt, d.Answer)));
        Assert.Single(deliveries.Select(d => d.App).Distinct());
        Assert.Equal(3, first.Received.Count + second.Received.Count);
        Assert.True(first.Received.Count == 0 || second.Received.Count == 0, "both replicas saw the message");
    }

    [Fact]
    public async Task Publish_TwoAppIds_EachGetsEveryMessageOnce()
    {
        var broker = new StandInBroker();
        await using var refreshApp = await SubscriberApp.StartAsync(Subscriptions);
        await using var auditApp = await SubscriberApp.StartAsync(Subscriptions);
        await using var publisher = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "ingress" }, Sdk.Ct);
        await using var refresh = await SubscriberAsync(broker, "refresh", refreshApp, new StandInDeliveryOptions());
        await using var audit = await SubscriberAsync(broker, "audit", auditApp, new StandInDeliveryOptions());
        using var dapr = Sdk.ClientFor(publisher);

        for (var n = 1; n <= 5; n++)
        {
            await PublishAsync(dapr, $"m-{n}");
        }

        await broker.WaitForDeliveriesAsync(d => d.Count >= 10, Wait);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Sdk.Ct);

        var expected = Enumerable.Range(1, 5).Select(n => $"m-{n}").Order(StringComparer.Ordinal);
        foreach (var appId in new[] { "refresh", "audit" })
        {
            Assert.Equal(expected, broker.Deliveries.Where(d => d.AppId == appId).Select(d => d.MessageId).Order(StringComparer.Ordinal));
        }

        Assert.Equal((5, 5), (refreshApp.Received.Count, auditApp.Received.Count));
    }

    /// <summary>
    /// Redis Streams makes the group from the stream's start on its first subscription (XGROUP CREATE … "0") and
    /// every member reads what the group has not handed out yet (XREADGROUP "&gt;"): components-contrib v1.18.0
    /// pubsub/redis/redis.go CreateConsumerGroup, pollNewMessagesLoop.
    /// </summary>
    [Fact]
    public async Task Subscribe_LaterSidecars_NewAppIdGetsBacklogSecondReplicaDoesNot()
    {
        var broker = new StandInBroker();
        await using var firstApp = await SubscriberApp.StartAsync(Subscriptions);
        await using var secondApp = await SubscriberApp.StartAsync(Subscriptions);
        await using var auditApp = await SubscriberApp.StartAsync(Subscriptions);
        await using var publisher = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "ingress" }, Sdk.Ct);
        using var dapr = Sdk.ClientFor(publisher);
        await PublishAsync(dapr, "m-before"); // no subscriber yet
        await using var first = await SubscriberAsync(broker, "refresh", firstApp, new StandInDeliveryOptions());
        await broker.WaitForDeliveriesAsync(d => d.Count == 1, Wait);

        await using var second = await SubscriberAsync(broker, "refresh", secondApp, new StandInDeliveryOptions());
        await using var audit = await SubscriberAsync(broker, "audit", auditApp, new StandInDeliveryOptions());
        await broker.WaitForDeliveriesAsync(d => d.Count == 2, Wait);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Sdk.Ct);

        Assert.Equal(["m-before", "m-before"], broker.Deliveries.Select(d => d.MessageId));
        Assert.Equal((1, 0, 1), (firstApp.Received.Count, secondApp.Received.Count, auditApp.Received.Count));
    }

    private static async Task<StandInSidecar> SubscriberAsync(StandInBroker broker, string appId, SubscriberApp app, StandInDeliveryOptions delivery)
    {
        var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions
        {
            Broker = broker, AppChannel = app.Url, AppId = appId, Delivery = delivery,
        }, Sdk.Ct);
        await sidecar.WaitForSubscriptionsAsync(Wait);
        return sidecar;
    }

    private static Task PublishAsync(DaprClient dapr, string id) =>
        dapr.PublishByteEventAsync("pubsub", "runs", Encoding.UTF8.GetBytes("{}"), "application/json",
            new Dictionary<string, string> { ["cloudevent.id"] = id }, Sdk.Ct);
}
