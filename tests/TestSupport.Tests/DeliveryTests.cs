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
    public async Task InFlightDeliveries_AppHoldsTheDelivery_ListedUntilAnsweredThenRecorded()
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.Delay = TimeSpan.FromSeconds(3);
        await using var pair = await Pair.StartAsync(app, Fast);
        await pair.Subscriber.WaitForSubscriptionsAsync(Wait);
        Assert.Empty(pair.Subscriber.InFlightDeliveries);

        var metadata = new Dictionary<string, string> { ["cloudevent.id"] = "held-1" };
        await pair.Dapr.PublishEventAsync("pubsub", "plain", new { N = 1 }, metadata, Sdk.Ct);
        await Sdk.EventuallyAsync(() => pair.Subscriber.InFlightDeliveries.Count == 1, "the held delivery is listed");

        var recorded = pair.Broker.Deliveries; // read first: an attempt leaves InFlightDeliveries before it is recorded
        var held = Assert.Single(pair.Subscriber.InFlightDeliveries);
        Assert.Equal(("plain", "held-1", 1, 1), (held.Topic, held.MessageId, held.Copy, held.Attempt));
        Assert.Empty(recorded); // not recorded before the app answers: what InFlightDeliveries is for
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 1, Wait);
        Assert.Empty(pair.Subscriber.InFlightDeliveries);
    }

    [Fact]
    public async Task Subscribe_AppStartsLate_WaitsForItsPortThenAsksOnceAndDeliversTheBacklog()
    {
        var port = SubscriberApp.FreePort();
        await using var pair = await Pair.StartAsync(new Uri($"http://127.0.0.1:{port}"), Fast);
        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 1 }, Sdk.Ct);
        await Task.Delay(300, Sdk.Ct); // several refused connections while the app is down

        await using var app = await SubscriberApp.StartAsync(Subscriptions, port);
        var result = await pair.Subscriber.WaitForSubscribeResultAsync(Wait);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 1, Wait);

        Assert.Equal((200, 3, null), (result.HttpStatus, result.Subscriptions.Count, result.Error));
        Assert.Equal(1, app.SubscribeCalls);
        Assert.Single(app.Received);
    }

    [Theory]
    [InlineData(401, "", "app returned http status code 401 from subscription endpoint")]
    [InlineData(500, "", "app returned http status code 500 from subscription endpoint")]
    [InlineData(200, """{"topics":[]}""", "error getting topics from app")]
    [InlineData(200, """[{"pubsubname":"pubsub","topic":7,"route":"/events/runs"}]""", "error getting topics from app")]
    public async Task Subscribe_FirstAnswerNotAList_NoSubscriptionsForGoodAndAnError(int status, string body, string error)
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.SubscribeAnswer = n => n == 1 ? (status, body) : (200, Subscriptions);
        await using var pair = await Pair.StartAsync(app, Fast);

        var result = await pair.Subscriber.WaitForSubscribeResultAsync(Wait);
        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 1 }, Sdk.Ct);
        await Task.Delay(500, Sdk.Ct); // time for a second subscribe read or a delivery, neither of which daprd makes

        Assert.Equal(status, result.HttpStatus);
        Assert.Empty(result.Subscriptions);
        Assert.StartsWith(error, result.Error, StringComparison.Ordinal);
        Assert.Equal(1, app.SubscribeCalls);
        Assert.Empty(app.Received);
        Assert.Empty(pair.Broker.Deliveries);
        Assert.True(pair.Subscriber.Initialized); // daprd goes on, healthy, with no subscriptions
    }

    [Theory]
    [InlineData(404, "")]
    [InlineData(200, "")]
    [InlineData(200, "null")]
    public async Task Subscribe_NotFoundOrEmpty_NoSubscriptionsAndNoError(int status, string body)
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.SubscribeAnswer = _ => (status, body);
        await using var pair = await Pair.StartAsync(app, Fast);

        var result = await pair.Subscriber.WaitForSubscribeResultAsync(Wait);

        Assert.Equal((status, 0, null), (result.HttpStatus, result.Subscriptions.Count, result.Error));
    }

    [Fact]
    public async Task Subscribe_ConnectionDroppedTwice_RetriedOnlyForThatAndThenSubscribed()
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.SubscribeAnswer = n => n <= 2 ? null : (200, Subscriptions);
        await using var pair = await Pair.StartAsync(app, Fast);

        var result = await pair.Subscriber.WaitForSubscribeResultAsync(Wait);

        Assert.Equal((200, 3), (result.HttpStatus, result.Subscriptions.Count));
        Assert.Equal(3, app.SubscribeCalls);
    }

    [Fact]
    public async Task Subscribe_ConnectionDroppedEveryTime_GivesUpAfterThreeRetries()
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.SubscribeAnswer = _ => null;
        await using var pair = await Pair.StartAsync(app, Fast);

        var result = await pair.Subscriber.WaitForSubscribeResultAsync(Wait);

        Assert.Null(result.HttpStatus);
        Assert.Empty(result.Subscriptions);
        Assert.StartsWith("error getting topic list from app", result.Error, StringComparison.Ordinal);
        Assert.Equal(4, app.SubscribeCalls);
    }

    [Fact]
    public async Task Subscribe_RoutesDefaultAndRoute_DefaultWins()
    {
        const string both = """[{"pubsubname":"pubsub","topic":"runs","route":"/events/old","routes":{"default":"/events/new"}}]""";
        await using var app = await SubscriberApp.StartAsync(both);
        await using var pair = await Pair.StartAsync(app, Fast);

        var subscription = Assert.Single(await pair.Subscriber.WaitForSubscriptionsAsync(Wait));

        Assert.Equal("/events/new", subscription.Route);
    }

    [Theory]
    [InlineData(200, """{"status":"RETRY"}""", StandInAnswer.Retry)]
    [InlineData(503, null, StandInAnswer.Failed)]
    [InlineData(200, """{"status":"SOMETHING"}""", StandInAnswer.Retry)]
    // The status value is matched as daprd's Go switch does: exactly. Any other spelling is an unknown status: retried.
    [InlineData(200, """{"status":"success"}""", StandInAnswer.Retry)]
    [InlineData(200, """{"status":"Drop"}""", StandInAnswer.Retry)]
    [InlineData(200, """{"status":"RETRY"} and then some text""", StandInAnswer.Retry)]
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
    [InlineData(404, null, StandInAnswer.NotFound)] // daprd 1.17 on; 1.16 acked a 404 with no dead letter
    [InlineData(200, """{"STATUS":"DROP"}""", StandInAnswer.Drop)] // Go's encoding/json matches the field name in any case
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

    [Theory]
    [InlineData("""{"status":"SUCCESS"}""")]
    [InlineData("""{"status":""}""")]
    [InlineData("""{"status":5}""")] // a decode error: daprd skips the status check
    [InlineData("""["RETRY"]""")]
    [InlineData("not json")]
    public async Task Deliver_2xxWithoutAKnownNonSuccessStatus_DoneAtOnce(string body)
    {
        await using var app = await SubscriberApp.StartAsync(Subscriptions);
        app.Answer = (_, _) => (200, body);
        await using var pair = await Pair.StartAsync(app, Fast);

        await pair.Dapr.PublishEventAsync("pubsub", "runs", new { N = 1 }, Sdk.Ct);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 1, Wait);
        await Task.Delay(200, Sdk.Ct); // a redelivery would come after 10 ms

        Assert.Equal(StandInAnswer.Success, Assert.Single(pair.Broker.Deliveries).Answer);
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
