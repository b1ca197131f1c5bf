using System.Net;
using System.Text.Json.Nodes;
using Dapr.Client;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// <c>POST /deadletters/{id}/replay</c> and <c>DELETE /deadletters/{id}</c>: a dead letter replayed after its cause is
/// fixed is delivered again through pub/sub and runs its report once; replaying again runs nothing twice.
/// </summary>
public sealed class ReplayTests
{
    private const string Topic = "dbt-job-run-completed";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Replay_AfterCauseFixed_DeliveredAgainThroughPubSubAndRunsReportOnce()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(RefreshApp.Report(0, "r1", "123"), scheduler, broker, appApiToken: "app-token");
        app.Mode.SetCredentials("other-token", "other-secret"); // Refresh holds a wrong Mode secret
        await PublishAsIngressAsync(app, DbtEvents.Completed(eventId: "wev_replay"));

        var id = await WaitForDeadLetterAsync(app, "wev_replay");
        Assert.Equal("failed", app.Record("r1")!["status"]!.GetValue<string>());
        Assert.Empty(app.Mode.Runs);

        app.Mode.SetCredentials(RefreshApp.Token, RefreshApp.Secret); // the secret is fixed
        var answer = await ReplayAsync(app, id);

        Assert.Equal(["acme/r1"], answer["cleared"]!.AsArray().Select(n => n!.GetValue<string>()));
        await app.Mode.WaitForCallsAsync(c => c.Count(x => x.Accepted) == 1, TimeSpan.FromSeconds(10));
        await Eventually.UntilAsync(() => app.Record("r1")?["status"]?.GetValue<string>() == "done", "the replayed run recorded done", Ct);
        var replayed = broker.MessagesOn(Topic).Last().Envelope;
        Assert.Equal(("wev_replay", "com.getdbt.cloud.job.run.completed", "12345"),
            (replayed["id"]!.GetValue<string>(), replayed["type"]!.GetValue<string>(), replayed["subject"]!.GetValue<string>()));

        // Twice: published again, but the done record stands, so Mode is not called again.
        var again = await ReplayAsync(app, id);
        await broker.WaitForDeliveriesAsync(d => d.Count(x => x.Topic == Topic && x.Answer == StandInAnswer.Success) == 2, TimeSpan.FromSeconds(10));

        Assert.Empty(again["cleared"]!.AsArray());
        Assert.Equal(2, again["replays"]!.GetValue<int>());
        Assert.Single(app.Mode.Runs);
    }

    [Fact]
    public async Task Replay_CauseNotFixed_DeadLetteredAgainAndListedWithTheNewReason()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(RefreshApp.Report(0, "r1", "123"), scheduler, broker);
        app.Mode.SetCredentials("other-token", "other-secret");
        await PublishAsIngressAsync(app, DbtEvents.Completed(eventId: "wev_again"));
        var id = await WaitForDeadLetterAsync(app, "wev_again");
        var firstAt = (await app.ListDeadLettersAsync()).Single()["deadLetteredAt"]!.GetValue<DateTimeOffset>();
        var refusedBefore = app.Mode.Calls.Count(c => !c.AuthOk);

        await ReplayAsync(app, id);

        // The same event dead-letters again: listed once, after the replay, not taken for a redelivery of the first.
        await Eventually.UntilAsync(async () => (await app.ListDeadLettersAsync()).Single()["deadLetteredAt"]!.GetValue<DateTimeOffset>() > firstAt,
            "the replayed event dead-lettered again", Ct);
        var entry = (await app.ListDeadLettersAsync()).Single();
        Assert.Null(entry["replayedAt"]);
        Assert.Equal(1, entry["replays"]!.GetValue<int>());
        Assert.Contains("Mode answered 401", entry["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(app.Mode.Calls.Count(c => !c.AuthOk) > refusedBefore); // the replay did call Mode again
    }

    [Fact]
    public async Task Delete_Listed_GoneWithItsDataAndDeletingAgainIsNoContent()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_del"), "ce-del", RefreshApp.DeadLetterRoute));
        var id = (await app.ListDeadLettersAsync()).Single()["id"]!.GetValue<string>();
        Assert.Contains($"deadletters:payload:{id}", app.Sidecar.GetStateSnapshot("statestore").Keys);

        using var first = await app.Client.DeleteAsync($"/deadletters/{id}", Ct);
        using var second = await app.Client.DeleteAsync($"/deadletters/{id}", Ct);

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (first.StatusCode, second.StatusCode));
        Assert.Empty(await app.ListDeadLettersAsync());
        Assert.DoesNotContain($"deadletters:payload:{id}", app.Sidecar.GetStateSnapshot("statestore").Keys);
        using var replay = await app.Client.PostAsync($"/deadletters/{id}/replay", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, replay.StatusCode);
    }

    [Fact]
    public async Task Replay_DataCut_ConflictAndNothingPublished()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["DeadLetters:MaxPayloadBytes"] = "1024" }));
        var evt = DbtEvents.Completed(eventId: "wev_big");
        evt["data"]!["runStatusMessage"] = new string('x', 4000);
        Assert.Equal("SUCCESS", await app.DeliverAsync(evt, "ce-big", RefreshApp.DeadLetterRoute));
        var id = (await app.ListDeadLettersAsync()).Single()["id"]!.GetValue<string>();

        using var response = await app.Client.PostAsync($"/deadletters/{id}/replay", null, Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("MaxPayloadBytes", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Empty(app.Sidecar.Published);
    }

    [Theory]
    [InlineData("POST", "/deadletters/abc/replay")]
    [InlineData("DELETE", "/deadletters/abc")]
    public async Task ReplayAndDelete_WithoutAppToken_Unauthorized(string method, string path)
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["APP_API_TOKEN"] = "app-token" }));

        using var response = await app.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>Publishes through the sidecar with the metadata Ingress uses (services/Ingress/Publishing/EventPublisher.cs).</summary>
    private static async Task PublishAsIngressAsync(RefreshApp app, JsonObject evt)
    {
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(app.Sidecar.GrpcEndpoint).Build();
        var eventId = evt["eventId"]!.GetValue<string>();
        await dapr.PublishByteEventAsync("pubsub", Topic, System.Text.Encoding.UTF8.GetBytes(evt.ToJsonString()), "application/json",
            new Dictionary<string, string>
            {
                ["cloudevent.id"] = eventId,
                ["cloudevent.type"] = "com.getdbt.cloud.job.run.completed",
                ["MessageId"] = eventId,
            }, Ct);
    }

    private static async Task<string> WaitForDeadLetterAsync(RefreshApp app, string eventId)
    {
        string? id = null;
        await Eventually.UntilAsync(async () =>
        {
            id = (await app.ListDeadLettersAsync()).FirstOrDefault(e => e["eventId"]?.GetValue<string>() == eventId)?["id"]?.GetValue<string>();
            return id is not null;
        }, $"dead letter {eventId} listed", Ct);
        return id!;
    }

    private static async Task<JsonObject> ReplayAsync(RefreshApp app, string id)
    {
        using var response = await app.Client.PostAsync($"/deadletters/{id}/replay", null, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }
}
