using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using static ModeRefresh.TestSupport.Tests.DaprStub;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>BulkPublishEvent and BulkPublishEventAlpha1, as daprd serves them, through the generated gRPC client.</summary>
public sealed class BulkPublishTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(Stable)]
    [InlineData(Alpha1)]
    public async Task BulkPublish_ThreeEntriesWithMetadata_RecordsEachEntryInOrderWithEntryKeysOverRequestKeys(string method)
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        var request = Request("dbt-runs", Meta(("shared", "request"), ("requestOnly", "r")),
            Entry("e-1", """{"n":1}""", "application/json", Meta(("shared", "entry-1"), ("own", "1"))),
            Entry("e-2", "plain two", "text/plain", Meta(("own", "2"))),
            Entry("e-3", """{"n":3}""", "application/cloudevents+json", Meta(("shared", "entry-3"))));

        var response = await stub.BulkPublishAsync(method, request);

        Assert.Empty(response.FailedEntries);
        Assert.Equal(
            [
                ("pubsub", "dbt-runs", """{"n":1}""", "application/json"),
                ("pubsub", "dbt-runs", "plain two", "text/plain"),
                ("pubsub", "dbt-runs", """{"n":3}""", "application/cloudevents+json"),
            ],
            sidecar.Published.Select(p => (p.PubsubName, p.Topic, Encoding.UTF8.GetString(p.Data), p.DataContentType)));
        Assert.Equal(
            [
                Meta(("shared", "entry-1"), ("requestOnly", "r"), ("own", "1")),
                Meta(("shared", "request"), ("requestOnly", "r"), ("own", "2")),
                Meta(("shared", "entry-3"), ("requestOnly", "r")),
            ],
            sidecar.Published.Select(p => p.Metadata.ToDictionary()));
        var call = Assert.Single(sidecar.Calls);
        Assert.Equal((method, StatusCode.OK), (call.Method, call.Outcome));
    }

    [Theory]
    [InlineData(Stable)]
    [InlineData(Alpha1)]
    public async Task BulkPublish_EntryWithoutOwnMetadata_GetsNoneOfTheRequestMetadata(string method)
    {
        // A daprd quirk the stand-in mirrors on purpose: request metadata is merged only into entries that have some.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        var request = Request("dbt-runs", Meta(("ttlInSeconds", "60"), ("rawPayload", "false")),
            Entry("bare", """{"n":1}"""),
            Entry("dressed", """{"n":2}""", metadata: Meta(("x", "1"))));

        await stub.BulkPublishAsync(method, request);

        Assert.Equal(2, sidecar.Published.Count);
        Assert.Empty(sidecar.Published[0].Metadata);
        Assert.Equal(Meta(("ttlInSeconds", "60"), ("rawPayload", "false"), ("x", "1")), sidecar.Published[1].Metadata.ToDictionary());
    }

    [Theory]
    [InlineData(Stable)]
    [InlineData(Alpha1)]
    public async Task BulkPublish_NoEntries_AnswersOkAndPublishesNothing(string method)
    {
        // daprd hands an empty batch to the broker, which has nothing to refuse.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);

        var response = await stub.BulkPublishAsync(method, Request("dbt-runs", Meta(("k", "v"))));

        Assert.Empty(response.FailedEntries);
        Assert.Empty(sidecar.Published);
        Assert.Equal((method, StatusCode.OK), (Assert.Single(sidecar.Calls).Method, sidecar.Calls[0].Outcome));
    }

    [Theory]
    [InlineData(Stable, "a,b,a")]
    [InlineData(Stable, "a,b,")]
    [InlineData(Stable, ",a")]
    [InlineData(Alpha1, "a,b,b")]
    [InlineData(Alpha1, "a,")]
    public async Task BulkPublish_DuplicateOrEmptyEntryId_FailsInvalidArgumentAndPublishesNothing(string method, string entryIds)
    {
        // The bad id comes after good entries: the whole call must fail before any of them is published.
        var broker = new StandInBroker();
        await using var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker }, Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        var entries = entryIds.Split(',').Select((id, i) => Entry(id, $$"""{"n":{{i}}}""", metadata: Meta(("k", "v")))).ToArray();

        var ex = await Assert.ThrowsAsync<RpcException>(() => stub.BulkPublishAsync(method, Request("dbt-runs", null, entries)));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Empty(sidecar.Published);
        Assert.Empty(broker.Messages);
        Assert.Equal((method, StatusCode.InvalidArgument), (sidecar.Calls[0].Method, sidecar.Calls[0].Outcome));
    }

    [Theory]
    [InlineData(Stable, "", "dbt-runs")]
    [InlineData(Stable, "pubsub", "")]
    [InlineData(Alpha1, "", "dbt-runs")]
    [InlineData(Alpha1, "pubsub", "")]
    public async Task BulkPublish_EmptyPubsubNameOrTopic_FailsInvalidArgumentAndPublishesNothing(string method, string pubsubName, string topic)
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);

        var ex = await Assert.ThrowsAsync<RpcException>(
            () => stub.BulkPublishAsync(method, Request(pubsubName, topic, null, Entry("a", "{}"))));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Empty(sidecar.Published);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Single(sidecar.Calls).Outcome);
    }

    [Theory]
    [InlineData(Stable)]
    [InlineData(Alpha1)]
    public async Task BulkPublish_FailBulkEntriesWhere_FailsTheWholeCallInternalWhileTheOthersArePublished(string method)
    {
        var broker = new StandInBroker();
        await using var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker }, Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.FailBulkEntriesWhere(m => Encoding.UTF8.GetString(m.Data) == """{"n":2}""");
        var request = Request("dbt-runs", null, Entry("e-1", """{"n":1}"""), Entry("e-2", """{"n":2}"""), Entry("e-3", """{"n":3}"""));

        var ex = await Assert.ThrowsAsync<RpcException>(() => stub.BulkPublishAsync(method, request));

        // daprd 1.10-1.18: any refused entry makes the call fail, with no list of which; the rest went to the broker.
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.StartsWith("error when publishing to topic dbt-runs in pubsub pubsub: ", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal([1, 3], broker.Messages.Select(m => m.Envelope["data"]!["n"]!.GetValue<int>()));
        Assert.Equal(2, sidecar.Published.Count);
        Assert.Equal((method, StatusCode.Internal), (Assert.Single(sidecar.Calls).Method, sidecar.Calls[0].Outcome));
    }

    [Theory]
    [InlineData(Stable)]
    [InlineData(Alpha1)]
    public async Task BulkPublish_FailBulkEntriesWhereListedAsFailedEntries_AnswersOkListsRefusedEntriesAndPublishesTheOthers(string method)
    {
        var broker = new StandInBroker();
        await using var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker }, Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        // The rule sees each entry as it would be published: its data, and the request metadata merged in.
        sidecar.FailBulkEntriesWhere(m =>
            (m.Metadata.GetValueOrDefault("tenant") == "t1" && m.Metadata.GetValueOrDefault("own") == "2")
            || Encoding.UTF8.GetString(m.Data) == """{"n":4}""", StandInBulkRefusal.ListedAsFailedEntries);
        var request = Request("dbt-runs", Meta(("tenant", "t1")),
            Entry("e-1", """{"n":1}""", metadata: Meta(("own", "1"))),
            Entry("e-2", """{"n":2}""", metadata: Meta(("own", "2"))),
            Entry("e-3", """{"n":3}"""),
            Entry("e-4", """{"n":4}"""));

        var response = await stub.BulkPublishAsync(method, request);

        Assert.Equal(["e-2", "e-4"], response.FailedEntries.Select(f => f.EntryId));
        Assert.All(response.FailedEntries, f => Assert.False(string.IsNullOrEmpty(f.Error)));
        Assert.Equal(["""{"n":1}""", """{"n":3}"""], sidecar.Published.Select(p => Encoding.UTF8.GetString(p.Data)));
        Assert.Equal([1, 3], broker.Messages.Select(m => m.Envelope["data"]!["n"]!.GetValue<int>()));
        Assert.Equal((method, StatusCode.OK), (Assert.Single(sidecar.Calls).Method, sidecar.Calls[0].Outcome));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BulkPublish_FailBulkEntriesWhereThenClearedOrNull_PublishesAllEntries(bool clearFaults)
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.FailBulkEntriesWhere(_ => true);
        var request = Request("dbt-runs", null, Entry("e-1", """{"n":1}"""), Entry("e-2", """{"n":2}"""));

        var refused = await Assert.ThrowsAsync<RpcException>(() => stub.BulkPublishAsync(Stable, request));
        if (clearFaults)
        {
            sidecar.ClearFaults();
        }
        else
        {
            sidecar.FailBulkEntriesWhere(null);
        }

        var accepted = await stub.BulkPublishAsync(Stable, request);

        Assert.Equal(StatusCode.Internal, refused.StatusCode);
        Assert.Empty(accepted.FailedEntries);
        Assert.Equal(["""{"n":1}""", """{"n":2}"""], sidecar.Published.Select(p => Encoding.UTF8.GetString(p.Data)));
        Assert.Equal([StatusCode.Internal, StatusCode.OK], sidecar.Calls.Select(c => c.Outcome));
    }

    [Fact]
    public async Task PublishEvent_FailBulkEntriesWhere_DoesNotAffectSinglePublishes()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.FailBulkEntriesWhere(_ => true);

        await dapr.PublishEventAsync("pubsub", "dbt-runs", new { N = 1 }, Sdk.Ct);

        Assert.Single(sidecar.Published);
    }

    [Fact]
    public async Task BulkPublishEvent_FailNextUnimplemented_FailsAndPublishesNothingWhileAlpha1StillServes()
    {
        // How tests simulate a daprd older than the stable bulk API: the caller falls back to Alpha1.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.FailNext(Stable, StatusCode.Unimplemented);
        var request = Request("dbt-runs", null, Entry("e-1", """{"n":1}"""), Entry("e-2", """{"n":2}"""));

        var ex = await Assert.ThrowsAsync<RpcException>(() => stub.BulkPublishAsync(Stable, request));
        Assert.Empty(sidecar.Published);
        var fallback = await stub.BulkPublishAsync(Alpha1, request);

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Empty(fallback.FailedEntries);
        Assert.Equal(2, sidecar.Published.Count);
        Assert.Equal([(Stable, StatusCode.Unimplemented), (Alpha1, StatusCode.OK)], sidecar.Calls.Select(c => (c.Method, c.Outcome)));
    }

    [Fact]
    public async Task BulkPublishEvent_FailNextOnce_FailsOnceThenPublishes()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.FailNext(Stable, StatusCode.Unavailable);
        var request = Request("dbt-runs", null, Entry("e-1", """{"n":1}"""));

        var ex = await Assert.ThrowsAsync<RpcException>(() => stub.BulkPublishAsync(Stable, request));
        await stub.BulkPublishAsync(Stable, request);

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Single(sidecar.Published);
        Assert.Equal([StatusCode.Unavailable, StatusCode.OK], sidecar.Calls.Select(c => c.Outcome));
    }

    [Fact]
    public async Task BulkPublish_ApiTokenExpectedButMissing_FailsUnauthenticatedAndPublishesNothing()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.ExpectedApiToken = "secret";

        var ex = await Assert.ThrowsAsync<RpcException>(
            () => stub.BulkPublishAsync(Stable, Request("dbt-runs", null, Entry("e-1", "{}"))));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Empty(sidecar.Published);
    }

    [Fact]
    public async Task BulkPublish_RecordNothing_AnswersOkButKeepsNoRecord()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.RecordNothing = true;

        var unrecorded = await stub.BulkPublishAsync(Stable, Request("dbt-runs", null, Entry("e-1", """{"n":1}"""), Entry("e-2", """{"n":2}""")));
        sidecar.RecordNothing = false;
        await stub.BulkPublishAsync(Stable, Request("dbt-runs", null, Entry("e-3", """{"n":3}""")));

        Assert.Empty(unrecorded.FailedEntries);
        Assert.Equal("""{"n":3}""", Encoding.UTF8.GetString(Assert.Single(sidecar.Published).Data));
        Assert.Single(sidecar.Calls);
    }

    [Fact]
    public async Task BulkPublish_RecordNothingWithDuplicateEntryId_StillFailsInvalidArgument()
    {
        // Not recording must not mean not checking: the services' error handling is benchmarked too.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.RecordNothing = true;

        var ex = await Assert.ThrowsAsync<RpcException>(
            () => stub.BulkPublishAsync(Stable, Request("dbt-runs", null, Entry("a", "{}"), Entry("a", "{}"))));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task BulkPublish_RecordNothingWithRefusals_StillRefusesInEitherShape()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.RecordNothing = true;
        var request = Request("dbt-runs", null, Entry("e-1", """{"n":1}"""), Entry("e-2", """{"n":2}"""));
        sidecar.FailBulkEntriesWhere(m => Encoding.UTF8.GetString(m.Data) == """{"n":2}""");

        var ex = await Assert.ThrowsAsync<RpcException>(() => stub.BulkPublishAsync(Stable, request));
        sidecar.FailBulkEntriesWhere(m => Encoding.UTF8.GetString(m.Data) == """{"n":2}""", StandInBulkRefusal.ListedAsFailedEntries);
        var response = await stub.BulkPublishAsync(Stable, request);

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("e-2", Assert.Single(response.FailedEntries).EntryId);
        Assert.Empty(sidecar.Published);
    }

    [Fact]
    public async Task BulkPublish_RecordNothingWithBroker_StillStoresEachEntryInTheBroker()
    {
        var broker = new StandInBroker();
        await using var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker }, Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.RecordNothing = true;

        await stub.BulkPublishAsync(Stable, Request("dbt-runs", null, Entry("e-1", """{"n":1}"""), Entry("e-2", """{"n":2}""")));

        Assert.Equal([1, 2], broker.Messages.Select(m => m.Envelope["data"]!["n"]!.GetValue<int>()));
        Assert.Empty(sidecar.Published);
    }

    [Theory]
    [InlineData(Stable)]
    [InlineData(Alpha1)]
    public async Task BulkPublish_SubscribedApp_ReceivesEachEntryAsCloudEventWithItsMergedOverrides(string method)
    {
        const string subscriptions = """[{"pubsubName":"pubsub","topic":"runs","route":"/events/runs"}]""";
        await using var app = await SubscriberApp.StartAsync(subscriptions);
        await using var pair = await Pair.StartAsync(app, new StandInDeliveryOptions());
        using var stub = new DaprStub(pair.Publisher);
        var request = Request("runs", Meta(("cloudevent.type", "com.example.bulk")),
            Entry("a", """{"n":1}""", metadata: Meta(("cloudevent.id", "evt-a"))),
            Entry("b", """{"n":2}""", metadata: Meta(
                ("cloudevent.id", "evt-b"), ("cloudevent.type", "com.example.b"), ("cloudevent.source", "https://example.com/b"),
                ("cloudevent.subject", "run-b"))),
            Entry("c", """{"n":3}"""));

        await stub.BulkPublishAsync(method, request);
        await pair.Broker.WaitForDeliveriesAsync(d => d.Count == 3, Wait);

        // Stored in entry order; delivered concurrently, so matched by id.
        var stored = pair.Broker.MessagesOn("runs");
        Assert.Equal(["evt-a", "evt-b"], stored.Take(2).Select(m => m.Id));
        Assert.True(Guid.TryParse(stored[2].Id, out _), $"entry without metadata gets a new id, not '{stored[2].Id}'");
        var received = app.Received.Select(r => JsonNode.Parse(r.Body)!).ToDictionary(e => Str(e, "id"));
        Assert.Equal(
            [
                ("com.example.bulk", 1), // request-level type merged into an entry with metadata
                ("com.example.b", 2), // the entry's own type wins
                ("com.dapr.event.sent", 3), // no metadata of its own: none of the request's (daprd's quirk)
            ],
            new[] { received["evt-a"], received["evt-b"], received[stored[2].Id] }
                .Select(e => (Str(e, "type"), e["data"]!["n"]!.GetValue<int>())));
        Assert.Equal(("https://example.com/b", "run-b"), (Str(received["evt-b"], "source"), Str(received["evt-b"], "subject")));
        Assert.All(new[] { received["evt-a"], received[stored[2].Id] }, e =>
        {
            Assert.Equal("publisher", Str(e, "source"));
            Assert.Null(e["subject"]);
        });
        Assert.All(received.Values, e => Assert.Equal(
            ("runs", "pubsub", "application/json", "1.0"),
            (Str(e, "topic"), Str(e, "pubsubname"), Str(e, "datacontenttype"), Str(e, "specversion"))));
        Assert.All(app.Received, r => Assert.Equal(("/events/runs", "application/cloudevents+json"), (r.Route, r.ContentType)));
    }

    private static Dictionary<string, string> Meta(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static string Str(JsonNode node, string name) => node[name]!.GetValue<string>();
}
