using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// Accepted Mode runs followed to their end through Dapr jobs (the stand-in's Scheduler calls <c>POST /job/{name}</c>):
/// the outcome on the outcomes topic once, failures to the alert binding, and polling that survives a restart.
/// </summary>
public sealed class TrackingTests
{
    private const string OutcomesTopic = "mode-report-run-finished";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var settings = RefreshApp.Report(0, "r1", "123");
        settings["Tracking:PollInterval"] = "00:00:00.200";
        settings["Alerts:Binding"] = "alerts";
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    [Fact]
    public async Task FailedOnModesSide_PublishedOnceOnOutcomesTopicAndSentToAlertBinding()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(Settings(), scheduler, broker, appApiToken: "app-token");
        app.Sidecar.AddOutputBinding("alerts", "create", "get", "post");
        app.Mode.SetRunScript(FakeModeRunScript.EndingIn("failed"), report: "r1");

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        await broker.WaitForMessagesAsync(m => m.Any(x => x.Topic == OutcomesTopic), Wait);
        var token = Assert.Single(app.Mode.StartedRuns).Token;
        var outcome = Data(Assert.Single(broker.MessagesOn(OutcomesTopic)));
        Assert.Equal(("12345", "123", "acme", "r1", token, "failed", false),
            (Text(outcome, "runId"), Text(outcome, "jobId"), Text(outcome, "workspace"), Text(outcome, "report"),
             Text(outcome, "modeRunToken"), Text(outcome, "state"), outcome["succeeded"]!.GetValue<bool>()));
        Assert.Equal($"{app.Mode.BaseUrl}/acme/reports/r1/runs/{token}", Text(outcome, "webUrl"));
        Assert.NotNull(outcome["completedAt"]);
        // The poll that saw "failed" is the last one: published from that callback, not a poll interval later.
        Assert.Equal(["running_notebook", "failed"], app.Mode.Polls.Select(p => p.State));

        await app.Sidecar.WaitForBindingCallsAsync(c => c.Count == 1, Wait);
        var alert = Assert.Single(app.Sidecar.BindingCalls);
        Assert.Equal(("alerts", "create"), (alert.Name, alert.Operation));
        var text = Text(JsonNode.Parse(alert.Data)!, "text");
        Assert.Contains("acme/r1", text, StringComparison.Ordinal);
        Assert.Contains("ended failed", text, StringComparison.Ordinal);
        var name = $"track:acme:r1:{token}";
        await Eventually.UntilAsync(() => scheduler.Find(RefreshApp.AppId, name) is null, "the poll job done", Ct);

        // A redelivered callback of the finished job publishes nothing more.
        using var again = new HttpRequestMessage(HttpMethod.Post, $"/job/{name}")
        {
            Content = new StringContent(LastJobData(app), Encoding.UTF8, "application/json"),
        };
        using var response = await app.Client.SendAsync(again, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(broker.MessagesOn(OutcomesTopic));
        Assert.Single(app.Sidecar.BindingCalls);
    }

    [Fact]
    public async Task Succeeded_PublishedWithoutAlert()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(Settings(), scheduler, broker);
        app.Sidecar.AddOutputBinding("alerts", "create");

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        await broker.WaitForMessagesAsync(m => m.Any(x => x.Topic == OutcomesTopic), Wait);
        var outcome = Data(Assert.Single(broker.MessagesOn(OutcomesTopic)));
        Assert.Equal(("succeeded", true), (Text(outcome, "state"), outcome["succeeded"]!.GetValue<bool>()));
        Assert.Empty(app.Sidecar.BindingCalls);
    }

    [Fact]
    public async Task NeverFinishes_TimedOutAfterTrackingTimeoutAndAlerted()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(Settings(("Tracking:Timeout", "00:00:01")), scheduler, broker);
        app.Sidecar.AddOutputBinding("alerts", "create");
        app.Mode.SetRunScript(FakeModeRunScript.PerPoll("enqueued", "running_notebook"), report: "r1");

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        await broker.WaitForMessagesAsync(m => m.Any(x => x.Topic == OutcomesTopic), Wait);
        var outcome = Data(Assert.Single(broker.MessagesOn(OutcomesTopic)));
        Assert.Equal(("timed_out", "state running_notebook"), (Text(outcome, "state"), Text(outcome, "lastSeen")));
        await app.Sidecar.WaitForBindingCallsAsync(c => c.Count == 1, Wait);
        Assert.Contains("did not finish within", Text(JsonNode.Parse(app.Sidecar.BindingCalls[0].Data)!, "text"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshRestartedWhileFollowing_NewInstanceResumesAndPublishesOutcomeOnce()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        var store = new StandInStateStore();
        await using var mode = await FakeModeServer.StartAsync(RefreshApp.Token, RefreshApp.Secret, Ct);
        mode.SetRunScript(FakeModeRunScript.PerPoll("enqueued", "running_notebook", "running_notebook", "running_notebook", "failed"), report: "r1");
        var first = await RefreshApp.StartServedAsync(Settings(("Alerts:Binding", null)), scheduler, broker, store, mode);
        Assert.Equal("SUCCESS", await first.DeliverAsync(DbtEvents.Completed()));
        await mode.WaitForCallsAsync(c => c.Count(x => x.IsPoll) >= 1, Wait);
        await first.DisposeAsync(); // its sidecar goes too; the Scheduler keeps the job

        Assert.Empty(broker.MessagesOn(OutcomesTopic));
        Assert.NotNull(Assert.Single(scheduler.Jobs, j => j.Name.StartsWith("track:", StringComparison.Ordinal)));
        await using var second = await RefreshApp.StartServedAsync(Settings(("Alerts:Binding", null)), scheduler, broker, store, mode);

        await broker.WaitForMessagesAsync(m => m.Any(x => x.Topic == OutcomesTopic), Wait);
        await Eventually.UntilAsync(() => scheduler.Jobs.Count == 0, "no job left", Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(600), Ct); // a few poll intervals: nothing more may come
        Assert.Equal("failed", Text(Data(Assert.Single(broker.MessagesOn(OutcomesTopic))), "state"));
        Assert.Single(mode.Runs);
    }

    private static string LastJobData(RefreshApp app) =>
        "{\"runId\":\"12345\",\"workspace\":\"acme\",\"report\":\"r1\",\"modeRunToken\":\"" + app.Mode.StartedRuns[0].Token + "\"}";

    private static JsonNode Data(BrokerMessage message) => message.Envelope["data"]!;

    private static string Text(JsonNode node, string name) => node[name]!.GetValue<string>();
}
