using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>
/// Issue 14's "done when", end to end through Ingress, Refresh, their stand-in sidecars (the Refresh sidecar's own
/// Scheduler delivers the jobs on the real clock) and the fake Mode: a run that fails on Mode's side reaches the
/// outcomes topic and the alert binding within a poll interval; a dead letter replayed after its cause is fixed runs
/// its reports once. The burst of 50 dbt runs is in <see cref="BurstCoalescingTests"/>.
/// </summary>
public sealed class LoopTests
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ModeRunFailsOnModesSide_OutcomePublishedAndAlertedWithinAPollInterval_SucceededPublishedNotAlerted()
    {
        await using var system = await EndToEndSystem.StartAsync(new Dictionary<string, string?>
        {
            ["Tracking__Enabled"] = "true",
            ["Tracking__PollInterval"] = "00:00:01",
            // Far beyond the test's patience: an outcome that waited for the time-out would never come.
            ["Tracking__Timeout"] = "01:00:00",
            ["Alerts__Binding"] = "alerts",
        });
        system.RefreshSidecar.AddOutputBinding("alerts", "create"); // bindings.http's operations include create
        var endsAfter = TimeSpan.FromSeconds(3);
        system.Mode.SetRunScript(FakeModeRunScript.OverTime((TimeSpan.Zero, "enqueued"), (TimeSpan.FromSeconds(1), "running_notebook"), (endsAfter, "failed")), report: "report-a");
        system.Mode.SetRunScript(FakeModeRunScript.OverTime((TimeSpan.Zero, "enqueued"), (endsAfter, "succeeded")), report: "report-b");

        using (var response = await system.SendAsync(Webhooks.Completed("wev_loop_fail", "123", "5150")))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await system.Broker.WaitForMessagesAsync(m => m.Count(x => x.Topic == LoopTopics.Outcomes) >= 2, ModeChecks.Patience);
        await system.RefreshSidecar.WaitForBindingCallsAsync(c => c.Count >= 1, ModeChecks.Patience);
        await Task.Delay(PollInterval * 2, Ct); // two more poll intervals: nothing more may come

        var failedRun = Assert.Single(system.Mode.StartedRuns, r => r.Report == "report-a");
        var okRun = Assert.Single(system.Mode.StartedRuns, r => r.Report == "report-b");
        var messages = system.Broker.MessagesOn(LoopTopics.Outcomes);
        Assert.Equal(2, messages.Count);
        var failedMessage = Assert.Single(messages, m => Text(m.Envelope["data"]!, "report") == "report-a");
        var failed = failedMessage.Envelope["data"]!;
        Assert.Equal(("5150", "123", EndToEndSystem.Workspace, "report-a", failedRun.Token, "failed", false),
            (Text(failed, "runId"), Text(failed, "jobId"), Text(failed, "workspace"), Text(failed, "report"),
             Text(failed, "modeRunToken"), Text(failed, "state"), failed["succeeded"]!.GetValue<bool>()));
        Assert.Contains(failedRun.Token, Text(failed, "webUrl"), StringComparison.Ordinal);
        Assert.NotNull(failed["completedAt"]);
        var acceptedAt = Time(failed, "acceptedAt");
        var finishedAt = Time(failed, "finishedAt");
        Assert.True(acceptedAt <= finishedAt, $"accepted {acceptedAt:O}, finished {finishedAt:O}");

        // Within a poll interval of Mode answering "failed" (a loose bound: the interval, plus room for a busy machine).
        var modeFailedAt = failedRun.StartedAt + endsAfter;
        Assert.Equal<DateTimeOffset?>(modeFailedAt, failedRun.CompletedAt);
        var publishedAfter = failedMessage.At - modeFailedAt;
        var invoke = Assert.Single(system.RefreshSidecar.Calls, c => c.Method == "InvokeBinding");
        var alertedAfter = invoke.At - modeFailedAt;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Mode failed the run at {modeFailedAt:HH:mm:ss.fff}; published {Ms(publishedAfter)} ms and alerted {Ms(alertedAfter)} ms later (poll interval {PollInterval.TotalSeconds} s)");
        Assert.True(publishedAfter >= TimeSpan.Zero && publishedAfter <= PollInterval + TimeSpan.FromSeconds(2), $"published {publishedAfter} after Mode failed the run");
        Assert.True(invoke.At >= failedMessage.At, "alerted before the outcome was published");
        Assert.True(alertedAfter >= TimeSpan.Zero && alertedAfter <= PollInterval + TimeSpan.FromSeconds(2), $"alerted {alertedAfter} after Mode failed the run");

        var alert = Assert.Single(system.RefreshSidecar.BindingCalls);
        Assert.Equal(("alerts", "create"), (alert.Name, alert.Operation));
        var body = JsonNode.Parse(alert.Data)!;
        Assert.Equal((failedRun.Token, "failed", "5150"),
            (Text(body["outcome"]!, "modeRunToken"), Text(body["outcome"]!, "state"), Text(body["outcome"]!, "runId")));
        Assert.Contains($"{EndToEndSystem.Workspace}/report-a", Text(body, "text"), StringComparison.Ordinal);
        Assert.Contains("failed", Text(body, "text"), StringComparison.Ordinal);

        var ok = Assert.Single(messages, m => Text(m.Envelope["data"]!, "report") == "report-b").Envelope["data"]!;
        Assert.Equal((okRun.Token, "succeeded", true), (Text(ok, "modeRunToken"), Text(ok, "state"), ok["succeeded"]!.GetValue<bool>()));
        Assert.Contains(system.Refresh.Output, l => l.Contains(failedRun.Token, StringComparison.Ordinal) && l.Contains("did not refresh", StringComparison.Ordinal));

        // GET /history answers what happened: both reports started, each with its Mode run's token and final state.
        var history = await Operator.HistoryRunAsync(system, "5150", run =>
            Operator.Field(Operator.HistoryReport(run, "report-a"), "state") is not null
            && Operator.Field(Operator.HistoryReport(run, "report-b"), "state") is not null);
        Assert.Equal("123", Text(history, "jobId"));
        var a = Operator.HistoryReport(history, "report-a");
        var b = Operator.HistoryReport(history, "report-b");
        Assert.Equal(("started", failedRun.Token, "failed"), (Operator.Field(a, "outcome"), Operator.Field(a, "modeRunToken"), Operator.Field(a, "state")));
        Assert.Equal(("started", okRun.Token, "succeeded"), (Operator.Field(b, "outcome"), Operator.Field(b, "modeRunToken"), Operator.Field(b, "state")));
        Assert.Contains(failedRun.Token, Operator.Field(a, "webUrl"), StringComparison.Ordinal);
        Assert.NotNull(Operator.Field(a, "finishedAt"));
    }

    [Fact]
    public async Task DeadLetterReplayedAfterCauseFixed_RunsEachReportOnce_ReplayAgainRunsNothing_DeleteRemovesIt()
    {
        await using var system = await EndToEndSystem.StartAsync();
        system.Mode.SetCredentials("rotated-token", "rotated-secret"); // Refresh's secret store still has the old pair
        using (var response = await system.SendAsync(Webhooks.Completed("wev_replay", "123", "4011")))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await system.WaitSettledAsync("wev_replay");
        await system.Broker.WaitForDeliveriesAsync(
            d => d.Any(x => x.Topic == EndToEndSystem.DeadLetterTopic && x.Answer == StandInAnswer.Success), ModeChecks.Patience);
        Assert.Empty(system.Mode.Runs);
        var id = Text(Assert.Single(await system.DeadLettersAsync())!, "id");

        // The cause fixed: Mode takes the pair in Refresh's secret store again.
        system.Mode.SetCredentials(EndToEndSystem.ModeToken, EndToEndSystem.ModeSecret);
        var (status, answer) = await Operator.CallAsync(system, HttpMethod.Post, $"/deadletters/{id}/replay");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(["acme/report-a", "acme/report-b"], answer!["cleared"]!.AsArray().Select(n => n!.GetValue<string>()).Order(StringComparer.Ordinal));
        await SuccessfulDeliveriesAsync(system, 1);
        Assert.Equal(new Dictionary<string, int> { ["report-a"] = 1, ["report-b"] = 1 }, ModeChecks.AcceptedPerReport(system.Mode));

        // Again: published and delivered once more, but both reports are done for this dbt run.
        (status, answer) = await Operator.CallAsync(system, HttpMethod.Post, $"/deadletters/{id}/replay");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Empty(answer!["cleared"]!.AsArray());
        await SuccessfulDeliveriesAsync(system, 2);
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        Assert.Equal(new Dictionary<string, int> { ["report-a"] = 1, ["report-b"] = 1 }, ModeChecks.AcceptedPerReport(system.Mode));
        Assert.Single(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
        ModeChecks.AllWellFormed(system.Mode.Runs);

        (status, _) = await Operator.CallAsync(system, HttpMethod.Delete, $"/deadletters/{id}");
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Empty(await system.DeadLettersAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Operator.CallAsync(system, HttpMethod.Get, $"/deadletters/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Operator.CallAsync(system, HttpMethod.Post, $"/deadletters/{id}/replay")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Operator.CallAsync(system, HttpMethod.Delete, $"/deadletters/{id}")).Status);
        Assert.Equal(3, system.Broker.MessagesOn(EndToEndSystem.Topic).Count); // Ingress's publish and two replays, nothing more

        // GET /history: the dbt run is one entry, its reports now started by the replay, with Mode's tokens.
        var history = await Operator.HistoryRunAsync(system, "4011", run =>
            Operator.Field(Operator.HistoryReport(run, "report-a"), "outcome") == "started"
            && Operator.Field(Operator.HistoryReport(run, "report-b"), "outcome") == "started");
        foreach (var report in new[] { "report-a", "report-b" })
        {
            var token = Assert.Single(system.Mode.Runs, r => r.Report == report).RunToken;
            Assert.Equal(token, Operator.Field(Operator.HistoryReport(history, report), "modeRunToken"));
        }

        var (listed, page) = await Operator.CallAsync(system, HttpMethod.Get, "/history");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Single(page!["runs"]!.AsArray(), r => r!["runId"]!.GetValue<string>() == "4011");
    }

    /// <summary>Waits until Refresh answered SUCCESS to <paramref name="count"/> deliveries of the replayed event.</summary>
    private static Task SuccessfulDeliveriesAsync(EndToEndSystem system, int count) =>
        system.Broker.WaitForDeliveriesAsync(
            d => d.Count(x => x.Topic == EndToEndSystem.Topic && x.MessageId == "wev_replay" && x.Answer == StandInAnswer.Success) >= count,
            ModeChecks.Patience);

    private static string Text(JsonNode node, string name) => node[name]!.GetValue<string>();

    private static DateTimeOffset Time(JsonNode node, string name) =>
        DateTimeOffset.Parse(Text(node, name), CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture);
}
