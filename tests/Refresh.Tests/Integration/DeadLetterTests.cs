using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class DeadLetterTests
{
    private const string DeadLetterTopic = "dbt-job-run-completed-deadletter";

    [Fact]
    public async Task DeadLetter_AfterUnauthorizedDrop_LoggedWithReasonAndListed()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Mode.SetCredentials("other-token", "other-secret");
        var evt = DbtEvents.Completed(eventId: "wev_401");
        Assert.Equal("DROP", await app.DeliverAsync(evt, "ce-401"));

        // daprd now publishes the same event to the dead-letter topic and delivers it to its route.
        Assert.Equal("SUCCESS", await app.DeliverAsync(evt, "ce-401", RefreshApp.DeadLetterRoute));

        Assert.True(app.Logs.Contains(LogLevel.Error, "Dead-lettered event wev_401 (dbt run 12345, job 123): acme/r1: Mode answered 401"));
        var entry = Assert.Single(await app.ListDeadLettersAsync());
        Assert.Equal("wev_401", entry["eventId"]!.GetValue<string>());
        Assert.Equal("ce-401", entry["cloudEventId"]!.GetValue<string>());
        Assert.Equal("12345", entry["runId"]!.GetValue<string>());
        Assert.Contains("Mode answered 401", entry["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(entry["payload"]); // the list stays small: each dead letter's data is fetched on its own
        var one = await app.GetDeadLetterAsync(entry["id"]!.GetValue<string>());
        Assert.Equal("wev_401", one["payload"]!["eventId"]!.GetValue<string>());
        Assert.Equal(evt.ToJsonString().Length, one["payloadBytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeadLetter_MalformedEvent_ReasonFoundByCloudEventId()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        Assert.Equal("DROP", await app.DeliverAsync(JsonNode.Parse("{}"), "ce-malformed"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(JsonNode.Parse("{}"), "ce-malformed", RefreshApp.DeadLetterRoute));

        var entry = Assert.Single(await app.ListDeadLettersAsync());
        Assert.StartsWith("malformed event data", entry["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadLetter_RetriesExhausted_ListedWithLastTransientReason()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Mode.StartOutage(TimeSpan.FromMinutes(5));
        var evt = DbtEvents.Completed(eventId: "wev_503");
        Assert.Equal("RETRY", await app.DeliverAsync(evt, "ce-503"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(evt, "ce-503", RefreshApp.DeadLetterRoute));

        Assert.Contains("Mode answered 503", Assert.Single(await app.ListDeadLettersAsync())["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadLetter_UnknownEvent_ListedWithNoReasonRecorded()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_never"), "ce-never", RefreshApp.DeadLetterRoute));

        Assert.StartsWith("no reason recorded", Assert.Single(await app.ListDeadLettersAsync())["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadLetter_DeliveredTwice_ListedOnce()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(), "ce-twice", RefreshApp.DeadLetterRoute));
        }

        Assert.Single(await app.ListDeadLettersAsync());
    }

    [Fact]
    public async Task DeadLetter_MoreThanMaxEntries_KeepsNewest()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["DeadLetters:MaxEntries"] = "3" }));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: $"wev_{i}"), $"ce-{i}", RefreshApp.DeadLetterRoute));
        }

        Assert.Equal(["wev_2", "wev_3", "wev_4"], (await app.ListDeadLettersAsync()).Select(e => e["eventId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task DeadLetter_ConcurrentDeliveries_AllListed()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            app.DeliverAsync(DbtEvents.Completed(eventId: $"wev_{i}"), $"ce-{i}", RefreshApp.DeadLetterRoute)));

        Assert.All(answers, a => Assert.Equal("SUCCESS", a));
        Assert.Equal(6, (await app.ListDeadLettersAsync()).Count);
    }

    [Fact]
    public async Task DeadLetter_StateStoreDown_RetrySoTheEventIsNotLost()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Sidecar.FailAlways("SaveState", Grpc.Core.StatusCode.Unavailable);

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed(), "ce-x", RefreshApp.DeadLetterRoute));
    }

    [Fact]
    public async Task ListDeadLetters_StateStoreDown_ServiceUnavailable()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Sidecar.FailAlways("GetState", Grpc.Core.StatusCode.Unavailable);

        using var response = await app.Client.GetAsync("/deadletters", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    // Keeps the topic name visible in this file: the route and topic must match what /dapr/subscribe lists.
    [Fact]
    public async Task Subscribe_DeadLetterTopic_RoutedToDeadLetterHandler()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        var subscriptions = JsonNode.Parse(await app.Client.GetStringAsync("/dapr/subscribe", TestContext.Current.CancellationToken))!.AsArray();

        var deadLetter = Assert.Single(subscriptions, s => s!["topic"]!.GetValue<string>() == DeadLetterTopic)!;
        Assert.Equal(RefreshApp.DeadLetterRoute.TrimStart('/'), deadLetter["route"]!.GetValue<string>().TrimStart('/'));
    }
}
