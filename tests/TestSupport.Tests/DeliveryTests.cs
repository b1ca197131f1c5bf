using System.Text;
using System.Text.Json.Nodes;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>Pub/sub delivery: a publish to one stand-in reaches the app behind another, by daprd's rules.</summary>
public sealed class DeliveryTests
{
    private const string Subscriptions = """
        [{"pubsubName":"pubsub","topic":"runs","route":"events/runs","deadLetterTopic":"runs-dead"},
         {"pubsubname":"pubsub","topic":"runs-dead","routes":{"default":"/events/dead"}},
         {"pubsubname":"pubsub","topic":"plain","route":"/events/plain"}]
        """;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly StandInDeliveryOptions Fast = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(40), MaxAttempts = 3,
    };

    [Fact]
    public async Task PublishEvent_SubscribedApp_ReceivesCloudEventWithOverridesAndToken()
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        await using var pair = await Pair.StartAsync(app, Fast);
        var metadata = new Dictionary<string, string>
        {
            ["cloudevent.id"] = "evt-1", ["cloudevent.type"] = "com.example.done", ["cloudevent.source"] = "https://example.com",
        };

        await pair.Dapr.PublishByteEventAsync("pubsub", "runs", Encoding.UTF8.GetBytes("""{"runId":"7"}"""), "application/json", metadata, Sdk.Ct);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 1, Wait);

        var received = Assert.Single(app.Received);
        Assert.Equal(("/events/runs", "application/cloudevents+json", "app-token"), (received.Route, received.ContentType, received.ApiToken));
        var envelope = JsonNode.Parse(received.Body)!;
        Assert.Equal(("evt-1", "com.example.done", "https://example.com", "1.0"),
            (Str(envelope, "id"), Str(envelope, "type"), Str(envelope, "source"), Str(envelope, "specversion")));
        Assert.Equal(("runs", "pubsub", "application/json"), (Str(envelope, "topic"), Str(envelope, "pubsubname"), Str(envelope, "datacontenttype")));
        Assert.Equal("7", envelope["data"]!["runId"]!.GetValue<string>());
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", Str(envelope, "traceparent"));
        Assert.Equal(Str(envelope, "traceparent"), Str(envelope, "traceid"));
        var delivery = Assert.Single(pair.Broker.Deliveries);
        Assert.Equal(("runs", "evt-1", 1, StandInAnswer.Success, 200), (delivery.Topic, delivery.MessageId, delivery.Attempt, delivery.Answer, delivery.HttpStatus));
    }

    [Fact]
    public async Task PublishEvent_NoCloudEventMetadata_UsesNewIdAppIdAndDefaultType()
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        await using var pair = await Pair.StartAsync(app, Fast);

        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 1 }, Sdk.Ct);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 1, Wait);

        var envelope = JsonNode.Parse(Assert.Single(app.Received).Body)!;
        Assert.True(Guid.TryParse(Str(envelope, "id"), out _));
        Assert.Equal(("publisher", "com.dapr.event.sent"), (Str(envelope, "source"), Str(envelope, "type")));
    }

    [Fact]
    public async Task Subscribe_AppStartsLate_RetriesAndDeliversTheBacklog()
    {
        var port = SubscriberApp.FreePort();
        await using var pair = await Pair.StartAsync(new Uri($"http://127.0.0.1:{port}"), Fast);
        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 1 }, Sdk.Ct);
        await Task.Delay(300, Sdk.Ct); // several failed subscribe reads while the app is down

        await using var app = await SubscriberApp.StartAsync(Subscriptions, port);
        await pair.Subscriber.WaitForSubscriptionsAsync(Wait);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 1, Wait);

        Assert.Equal(3, (await pair.Subscriber.WaitForSubscriptionsAsync(Wait)).Count);
        Assert.Single(app.Received);
    }

    [Theory]
    [InlineData(200, """{"status":"RETRY"}""", StandInAnswer.Retry)]
    [InlineData(503, null, StandInAnswer.Failed)]
    [InlineData(200, """{"status":"SOMETHING"}""", StandInAnswer.Retry)]
    public async Task Deliver_RetryableAnswersTwice_RedeliversThenSucceeds(int status, string? body, StandInAnswer expected)
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.Answer = (_, n) => n <= 2 ? (status, body) : (200, null);
        await using var pair = await Pair.StartAsync(app, Fast);

        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 1 }, Sdk.Ct);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Any(x => x.Answer == StandInAnswer.Success), Wait);

        Assert.Equal([(1, expected), (2, expected), (3, StandInAnswer.Success)], pair.Broker.Deliveries.Select(d => (d.Attempt, d.Answer)));
        Assert.Empty(pair.Broker.MessagesOn("runs-dead"));
    }

    [Theory]
    [InlineData(200, """{"status":"DROP"}""", StandInAnswer.Drop)]
    [InlineData(404, null, StandInAnswer.NotFound)]
    public async Task Deliver_DropOr404_DeadLettersOnceToTheDeadLetterSubscription(int status, string? body, StandInAnswer expected)
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.Answer = (route, _) => route == "/events/runs" ? (status, body) : (200, null);
        await using var pair = await Pair.StartAsync(app, Fast);

        await pair.Dapr.PublishByteEventAsync("pubsub", "runs", Encoding.UTF8.GetBytes("{}"), "application/json",
            new Dictionary<string, string> { ["cloudevent.id"] = "evt-d" }, Sdk.Ct);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Any(x => x.Topic == "runs-dead"), Wait);

        var first = Assert.Single(pair.Broker.Deliveries, d => d.Topic == "runs");
        Assert.Equal(expected, first.Answer);
        var dead = Assert.Single(pair.Broker.MessagesOn("runs-dead"));
        Assert.Equal(("evt-d", "runs"), (dead.Id, dead.DeadLetterOf));
        Assert.Equal("evt-d", Str(JsonNode.Parse(Assert.Single(app.Received, r => r.Route == "/events/dead").Body)!, "id"));
    }

    [Fact]
    public async Task Deliver_RetriesRunOut_DeadLettersAfterMaxAttempts()
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.Answer = (route, _) => route == "/events/runs" ? (500, null) : (200, null);
        await using var pair = await Pair.StartAsync(app, Fast);

        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 1 }, Sdk.Ct);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Any(x => x.Topic == "runs-dead"), Wait);

        Assert.Equal([1, 2, 3], pair.Broker.Deliveries.Where(d => d.Topic == "runs").Select(d => d.Attempt));
        Assert.Single(pair.Broker.MessagesOn("runs-dead"));
    }

    [Fact]
    public async Task Deliver_DropWithoutDeadLetterTopic_IsDiscarded()
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.Answer = (_, _) => (200, """{"status":"DROP"}""");
        await using var pair = await Pair.StartAsync(app, Fast);

        await pair.Dapr.PublishEventAsync("pubsub", "plain", new { N = 1 }, Sdk.Ct);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 1, Wait);
        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 2 }, Sdk.Ct); // a marker: delivered after the drop was handled
        await pair.Broker.WaitForMessagesAsync(m => m.Any(x => x.Topic == "runs-dead"), Wait);

        Assert.Equal(["plain", "runs", "runs-dead"], pair.Broker.Messages.Select(m => m.Topic));
    }

    [Fact]
    public async Task DeliveryCopies_Two_DeliversEachMessageTwiceConcurrently()
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.Delay = TimeSpan.FromMilliseconds(300);
        await using var pair = await Pair.StartAsync(app, Fast);
        pair.Subscriber.DeliveryCopies = 2;

        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 1 }, Sdk.Ct);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 2, Wait);

        Assert.Equal([1, 2], pair.Broker.Deliveries.Select(d => d.Copy).Order());
        Assert.Equal(2, app.Received.Count);
        Assert.Equal(2, app.MaxInFlight);
        Assert.Single(pair.Broker.Messages);
    }

    [Fact]
    public async Task StartAsync_AppChannelWithoutBroker_Throws()
    {
        var options = new StandInSidecarOptions { AppChannel = new Uri("http://127.0.0.1:1") };

        await Assert.ThrowsAsync<ArgumentException>(() => StandInSidecar.StartAsync(options, Sdk.Ct));
    }

    private static string Str(JsonNode node, string name) => node[name]!.GetValue<string>();
}
