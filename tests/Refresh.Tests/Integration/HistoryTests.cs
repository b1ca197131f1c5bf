using System.Net;
using System.Text.Json.Nodes;
using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// <c>GET /history</c>: per dbt run, what happened to each report (Mode token, final state, coalesced, why not), kept
/// in the state store (the stand-in sidecar's), bounded, paged newest first, behind the app token, and never in the
/// way of a delivery.
/// </summary>
public sealed class HistoryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Routed(params (string Key, string? Value)[] extra)
    {
        var settings = RefreshApp.Merge(RefreshApp.Report(0, "r1", "123"), RefreshApp.Report(1, "r2", "123"))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        settings["Tracking:Enabled"] = "false";
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    /// <summary>A run of job 999, which no report is configured for: recorded as not routed, no Mode call.</summary>
    private static JsonObject Unrouted(int run) => DbtEvents.Completed(eventId: $"wev_{run}", jobId: "999", runId: $"{run}");

    [Fact]
    public async Task Get_RoutedRun_ShowsEachReportStartedWithItsModeToken_OnceWhateverTheDeliveries()
    {
        await using var app = await RefreshApp.StartAsync(Routed());

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed())); // dbt's retry of the same webhook

        var run = await WaitForRunAsync(app, "12345", r => Reports(r).Count == 2);
        Assert.Equal(("12345", "123", "1234", "Production", "167194"),
            (Text(run, "runId"), Text(run, "jobId"), Text(run, "environmentId"), Text(run, "environmentName"), Text(run, "projectId")));
        Assert.Equal(["wev_1"], run["eventIds"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.NotNull(run["receivedAt"]);
        Assert.Equal(2, app.Mode.StartedRuns.Count);
        foreach (var started in app.Mode.StartedRuns)
        {
            var report = Assert.Single(Reports(run), r => Text(r, "report") == started.Report);
            Assert.Equal(("acme", "started", started.Token), (Text(report, "workspace"), Text(report, "outcome"), Text(report, "modeRunToken")));
            Assert.NotNull(report["startedAt"]);
        }

        var page = await ListAsync(app, "");
        Assert.Equal(["12345"], Runs(page).Select(r => Text(r, "runId")));
        Assert.Null(page["next"]);
    }

    [Fact]
    public async Task Get_FollowedRunFinishedOnMode_ShowsFinalStateTimesAndWebLink()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(
            new Dictionary<string, string?>(RefreshApp.Report(0, "r1", "123")) { ["Tracking:PollInterval"] = "00:00:00.200" },
            scheduler, broker);
        app.Mode.SetRunScript(FakeModeRunScript.EndingIn("failed"), report: "r1");

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        var run = await WaitForRunAsync(app, "12345", r => Reports(r).FirstOrDefault()?["state"] is not null);
        var token = Assert.Single(app.Mode.StartedRuns).Token;
        var report = Assert.Single(Reports(run));
        Assert.Equal(("started", token, "failed"), (Text(report, "outcome"), Text(report, "modeRunToken"), Text(report, "state")));
        Assert.Equal($"{app.Mode.BaseUrl}/acme/reports/r1/runs/{token}", Text(report, "webUrl"));
        Assert.NotNull(report["startedAt"]);
        Assert.NotNull(report["finishedAt"]);
    }

    [Fact]
    public async Task Get_CoalescedAsks_ShowServedByAndTheServingRunsTokenAndState()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        var settings = new Dictionary<string, string?>(RefreshApp.Report(0, "r1", "123"))
        {
            ["Refresh:Reports:0:MinInterval"] = "00:00:01",
            ["Tracking:PollInterval"] = "00:00:00.200",
        };
        await using var app = await RefreshApp.StartServedAsync(settings, scheduler, broker);

        for (var n = 1; n <= 3; n++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: $"wev_{n}", runId: $"{1000 + n}")));
        }

        await app.Mode.WaitForCallsAsync(c => c.Count(x => x.Accepted) >= 2, Wait);
        var served = app.Mode.StartedRuns[1].Token;
        var first = Assert.Single(Reports(await WaitForRunAsync(app, "1001", r => Reports(r).Count == 1)));
        Assert.Equal(("started", app.Mode.StartedRuns[0].Token), (Text(first, "outcome"), Text(first, "modeRunToken")));
        string? servedBy = null;
        foreach (var runId in new[] { "1002", "1003" })
        {
            // Both asks are served by the one run at the interval's end; its token and end reach each of them.
            var run = await WaitForRunAsync(app, runId, r => Reports(r).FirstOrDefault()?["state"] is not null);
            var report = Assert.Single(Reports(run));
            Assert.Equal(("coalesced", served, "succeeded"), (Text(report, "outcome"), Text(report, "modeRunToken"), Text(report, "state")));
            Assert.StartsWith("coalesced-", Text(report, "servedBy"), StringComparison.Ordinal);
            servedBy ??= Text(report, "servedBy");
            Assert.Equal(servedBy, Text(report, "servedBy"));
        }

        // servedBy names the run record of the serving run, as the run ledger keeps it.
        var record = JsonNode.Parse(app.Sidecar.GetStateSnapshot("statestore")[$"mode-run:acme:r1:{servedBy}"].Value)!;
        Assert.Equal(served, Text(record, "modeRunToken"));
    }

    [Fact]
    public async Task Get_SkippedAndNotRoutedRuns_SayWhy()
    {
        await using var app = await RefreshApp.StartAsync(Routed());

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_e", runId: "2001", runStatus: "Error", runStatusCode: 20)));
        Assert.Equal("SUCCESS", await app.DeliverAsync(Unrouted(2002)));

        var skipped = await WaitForRunAsync(app, "2001", _ => true);
        Assert.Equal("skipped", Text(skipped, "outcome"));
        Assert.Contains("did not succeed (status Error, code 20)", Text(skipped, "reason"), StringComparison.Ordinal);
        Assert.Empty(Reports(skipped));
        var unrouted = await WaitForRunAsync(app, "2002", _ => true);
        Assert.Equal("not_routed", Text(unrouted, "outcome"));
        Assert.Contains("no report configured for job 999", Text(unrouted, "reason"), StringComparison.Ordinal);
        Assert.Empty(app.Mode.Calls);
    }

    [Fact]
    public async Task Get_PermanentAndTransientFailures_SayWhyAndThatTheEventWasGivenUp()
    {
        await using var app = await RefreshApp.StartAsync(Routed());
        app.Mode.Enqueue(FakeModeResponse.Status(400), report: "r1");
        app.Mode.Enqueue(FakeModeResponse.Status(503), report: "r2", times: 10);
        var evt = DbtEvents.Completed();

        Assert.Equal("RETRY", await app.DeliverAsync(evt, "ce-1"));
        var run = await WaitForRunAsync(app, "12345", r => Reports(r).Count == 2);
        Assert.Equal(("failed", "retrying"), (Outcome(run, "r1"), Outcome(run, "r2")));
        Assert.Contains("400", Text(Report(run, "r1"), "reason"), StringComparison.Ordinal);
        Assert.Contains("503", Text(Report(run, "r2"), "reason"), StringComparison.Ordinal);

        // daprd's redeliveries run out: the event reaches the dead-letter route.
        Assert.Equal("SUCCESS", await app.DeliverAsync(evt, "ce-1", RefreshApp.DeadLetterRoute));
        run = await WaitForRunAsync(app, "12345", r => r["deadLetteredAt"] is not null);
        Assert.Equal(("failed", "dead_lettered"), (Outcome(run, "r1"), Outcome(run, "r2")));
    }

    [Fact]
    public async Task Get_FailedForNowThenRunOnRedelivery_ShowsStartedNotRetrying()
    {
        await using var app = await RefreshApp.StartAsync(new Dictionary<string, string?>(RefreshApp.Report(0, "r1", "123"))
        {
            ["Tracking:Enabled"] = "false",
        });
        app.Mode.Enqueue(FakeModeResponse.Status(503), report: "r1", times: 3); // every attempt of the first delivery

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed(), "ce-1"));
        Assert.Equal("retrying", Outcome(await WaitForRunAsync(app, "12345", r => Reports(r).Count == 1), "r1"));
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(), "ce-1")); // daprd's redelivery

        var run = await WaitForRunAsync(app, "12345", r => Outcome(r, "r1") != "retrying");
        var report = Report(run, "r1");
        Assert.Equal(("started", Assert.Single(app.Mode.StartedRuns).Token), (Text(report, "outcome"), Text(report, "modeRunToken")));
        Assert.Null(report["reason"]);
    }

    [Fact]
    public async Task List_Paging_NewestFirstWithCursorAndBadQueriesRefused()
    {
        await using var app = await RefreshApp.StartAsync(Routed());
        for (var run = 3001; run <= 3005; run++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(Unrouted(run)));
        }

        await WaitForRunAsync(app, "3005", _ => true); // notes are written in order: the others are in too

        var all = await ListAsync(app, "");
        Assert.Equal(["3005", "3004", "3003", "3002", "3001"], Runs(all).Select(r => Text(r, "runId")));
        var seen = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await ListAsync(app, next is null ? "?limit=2" : $"?limit=2&before={next}");
            Assert.True(Runs(page).Count <= 2);
            seen.AddRange(Runs(page).Select(r => Text(r, "runId")));
            next = page["next"]?.GetValue<string>();
            pages++;
        }
        while (next is not null && pages < 10);
        Assert.Equal(["3005", "3004", "3003", "3002", "3001"], seen);
        Assert.Equal(3, pages);

        foreach (var (query, word) in new[] { ("?limit=101", "limit"), ("?limit=0", "limit"), ("?limit=ten", "limit"), ("?before=abc", "before"), ("?before=-3", "before") })
        {
            using var response = await app.Client.GetAsync("/history" + query, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query}: {(int)response.StatusCode} {body}");
            Assert.Contains(word, JsonNode.Parse(body)!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal(5, Runs(await ListAsync(app, "?limit=100")).Count);
    }

    [Fact]
    public async Task List_MoreRunsThanMaxRuns_OldestDropped()
    {
        await using var app = await RefreshApp.StartAsync(Routed(("History:MaxRuns", "3")));
        for (var run = 4001; run <= 4005; run++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(Unrouted(run)));
        }

        await WaitForRunAsync(app, "4005", _ => true);

        Assert.Equal(["4005", "4004", "4003"], Runs(await ListAsync(app, "")).Select(r => Text(r, "runId")));
        foreach (var dropped in new[] { "4001", "4002" })
        {
            using var response = await app.Client.GetAsync($"/history/{dropped}", Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        // The dropped runs' records are deleted, not only unlisted.
        Assert.Equal(3, app.Sidecar.GetStateSnapshot("statestore").Count(kv => kv.Key.StartsWith("history:run:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Get_RetentionPassed_RunExpiredFromTheStateStore()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await RefreshApp.StartAsync(Routed(("History:Retention", "00:01:00")),
            new StandInSidecarOptions { StateStore = new StandInStateStore(timeProvider: clock) });
        Assert.Equal("SUCCESS", await app.DeliverAsync(Unrouted(4101)));
        await WaitForRunAsync(app, "4101", _ => true);

        clock.Advance(TimeSpan.FromSeconds(61)); // the store's TTL (ttlInSeconds = History:Retention) runs out

        Assert.Null(await GetRunAsync(app, "4101"));
        Assert.Empty(Runs(await ListAsync(app, "")));
    }

    [Fact]
    public async Task Get_AfterRefreshRestart_HistoryStillThereAndNewRunsComeFirst()
    {
        var store = new StandInStateStore();
        await using var mode = await FakeModeServer.StartAsync(RefreshApp.Token, RefreshApp.Secret, Ct);
        var first = await RefreshApp.StartAsync(Routed(), new StandInSidecarOptions { StateStore = store }, mode);
        Assert.Equal("SUCCESS", await first.DeliverAsync(DbtEvents.Completed()));
        await WaitForRunAsync(first, "12345", r => Reports(r).Count == 2);
        await first.DisposeAsync();

        await using var second = await RefreshApp.StartAsync(Routed(), new StandInSidecarOptions { StateStore = store }, mode);
        var run = await GetRunAsync(second, "12345");
        Assert.Equal(mode.StartedRuns.Select(r => r.Token).Order(), Reports(run!).Select(r => Text(r, "modeRunToken")).Order());
        Assert.Equal("SUCCESS", await second.DeliverAsync(Unrouted(5001)));
        await WaitForRunAsync(second, "5001", _ => true);
        Assert.Equal(["5001", "12345"], Runs(await ListAsync(second, "")).Select(r => Text(r, "runId")));
    }

    [Theory]
    [InlineData("/history")]
    [InlineData("/history/12345")]
    public async Task Get_AppTokenSetHeaderMissing_Unauthorized(string path)
    {
        await using var app = await RefreshApp.StartAsync(Routed(("APP_API_TOKEN", "app-token")));

        using var without = await app.Client.GetAsync(path, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("dapr-api-token", "app-token");
        using var with = await app.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.NotEqual(HttpStatusCode.Unauthorized, with.StatusCode); // 200, or 404 for a run never recorded
    }

    [Fact]
    public async Task Deliver_StateStoreFailingForHistory_AnswerUnchangedAndOutageLoggedOnce()
    {
        await using var app = await RefreshApp.StartAsync(Routed());
        app.Sidecar.FailAlways("GetState", StatusCode.Unavailable);
        app.Sidecar.FailAlways("SaveState", StatusCode.Unavailable);

        // Runs that need nothing from the state store but their history: their answer is what it always was.
        for (var run = 6001; run <= 6003; run++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(Unrouted(run)));
        }

        using (var unavailable = await app.Client.GetAsync("/history", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        }

        // Each run's note is tried three times (the state-store pipeline) and given up before the faults are cleared.
        await Eventually.UntilAsync(() => Enumerable.Range(6001, 3).All(run => app.Sidecar.Calls.Count(c =>
                c.Method == "GetState" && c.Outcome == StatusCode.Unavailable
                && ((GetStateRequest)c.Request).Key == HistoryStore.RunKey($"{run}")) >= 3),
            "every note tried and given up", Ct, Wait);
        await Eventually.UntilAsync(() => app.Logs.Contains(LogLevel.Warning, "Run history is not being recorded"), "the outage logged", Ct, Wait);
        app.Sidecar.ClearFaults();
        Assert.Equal("SUCCESS", await app.DeliverAsync(Unrouted(6004)));

        await WaitForRunAsync(app, "6004", _ => true);
        // The writer logs the recovery after the write that GET /history may already have read: wait for the line.
        await Eventually.UntilAsync(() => app.Logs.Contains(LogLevel.Information, "Run history is recorded again; 3 note(s) were lost meanwhile"),
            "the recovery logged with the count of notes lost", Ct, Wait,
            () => string.Join("\n", app.Logs.Lines.Where(l => l.Category.Contains("History", StringComparison.Ordinal)).Select(l => l.Message)));
        Assert.Single(app.Logs.Lines, l => l.Message.Contains("Run history is not being recorded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deliver_StateStoreHangingForHistory_AnswerNotHeldBack()
    {
        // A sidecar call may take up to 5 minutes here: a delivery that waited for its history would not answer in time.
        await using var app = await RefreshApp.StartAsync(Routed(("Dapr:CallTimeout", "00:05:00")));
        app.Sidecar.HangAlways("GetState");

        using var response = await app.PostEnvelopeAsync(DbtEvents.Envelope(Unrouted(7001), "ce-7001"));

        Assert.Equal("SUCCESS", await RefreshApp.AnswerOf(response));
        app.Sidecar.ClearFaults();
    }

    [Theory]
    [InlineData("History:MaxRuns", "0", "History:MaxRuns must be between 1 and 10000")]
    [InlineData("History:MaxRuns", "10001", "History:MaxRuns must be between 1 and 10000")]
    [InlineData("History:Retention", "00:00:10", "History:Retention must be between")]
    public async Task Start_InvalidHistorySetting_FailsNamingTheKey(string key, string value, string expected)
    {
        var exception = await RefreshApp.StartFailureAsync(Routed((key, value)));

        var failures = Flatten(exception).OfType<OptionsValidationException>().SelectMany(v => v.Failures).ToList();
        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        yield return exception;
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : exception.InnerException is { } one ? [one] : [];
        foreach (var child in inner.SelectMany(Flatten))
        {
            yield return child;
        }
    }

    public static TheoryData<StandInStateFlavour> Flavours() => new(StandInStateFlavour.Redis, StandInStateFlavour.PostgreSql);

    [Fact]
    public async Task Deliver_StoredRunRecordUnreadable_RunRecordedAfreshAndLogged()
    {
        await using var app = await RefreshApp.StartAsync(Routed());
        app.Sidecar.SetState("statestore", HistoryStore.RunKey("8101"), "{not json"u8.ToArray());

        Assert.Equal("SUCCESS", await app.DeliverAsync(Unrouted(8101)));

        var run = await WaitForRunAsync(app, "8101", r => r["outcome"] is not null);
        Assert.Equal(HistoryOutcomes.NotRouted, Text(run, "outcome"));
        Assert.Equal(["8101"], Runs(await ListAsync(app, "")).Select(r => Text(r, "runId")));
        Assert.True(app.Logs.Contains(LogLevel.Error, "is unreadable; starting it afresh"));
    }

    [Theory]
    [MemberData(nameof(Flavours))]
    public async Task Deliver_AnotherReplicaWritesTheFirstIndex_BothRunsListedAndTheLostWriteReadAgainNotRepeated(StandInStateFlavour flavour)
    {
        var store = new StandInStateStore(flavour);
        await using var mode = await FakeModeServer.StartAsync(RefreshApp.Token, RefreshApp.Secret, Ct);
        await using var one = await RefreshApp.StartAsync(Routed(), new StandInSidecarOptions { AppId = "refresh-1", StateStore = store }, mode);
        await using var two = await RefreshApp.StartAsync(Routed(), new StandInSidecarOptions { AppId = "refresh-2", StateStore = store }, mode);
        // Replica one read "no index yet" and its first write of the index is held; replica two indexes its run meanwhile.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        one.Sidecar.HoldNext("SaveState", release.Task);
        Assert.Equal("SUCCESS", await one.DeliverAsync(Unrouted(8201)));
        await Eventually.UntilAsync(() => one.Sidecar.Calls.Any(c => c.Method == "SaveState"), "replica one's first history write", Ct, Wait);
        Assert.Equal([HistoryStore.IndexKey], ((SaveStateRequest)one.Sidecar.Calls.First(c => c.Method == "SaveState").Request).States.Select(s => s.Key));
        Assert.Equal("SUCCESS", await two.DeliverAsync(Unrouted(8202)));
        await WaitForRunAsync(two, "8202", _ => true);

        release.SetResult();

        await WaitForRunAsync(one, "8201", _ => true);
        Assert.Equal(["8201", "8202"], Runs(await ListAsync(one, "")).Select(r => Text(r, "runId")));
        // A lost first write is an answer (read the index again and add to it), neither an outage nor worth the same write again.
        Assert.Single(one.Sidecar.StateAttempts, a => a.Method == "SaveState" && a.Keys.Contains(HistoryStore.IndexKey) && a.Outcome != StandInStateOutcome.Ok);
    }

    private static async Task<JsonObject?> GetRunAsync(RefreshApp app, string runId)
    {
        using var response = await app.Client.GetAsync($"/history/{runId}", Ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>History is written in the background: polls <c>GET /history/{runId}</c> until it shows what is expected.</summary>
    private static async Task<JsonObject> WaitForRunAsync(RefreshApp app, string runId, Func<JsonObject, bool> shows)
    {
        JsonObject? run = null;
        await Eventually.UntilAsync(async () => (run = await GetRunAsync(app, runId)) is not null && shows(run),
            $"run {runId} in the history as expected", Ct, Wait, () => run?.ToJsonString() ?? "(not recorded)");
        return run!;
    }

    private static async Task<JsonObject> ListAsync(RefreshApp app, string query)
    {
        using var response = await app.Client.GetAsync("/history" + query, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        var page = JsonNode.Parse(body)!.AsObject();
        Assert.True(page.ContainsKey("next"), body); // null at the end, never left out
        return page;
    }

    private static List<JsonObject> Runs(JsonObject page) => [.. page["runs"]!.AsArray().Select(r => r!.AsObject())];

    private static List<JsonObject> Reports(JsonObject run) => [.. run["reports"]!.AsArray().Select(r => r!.AsObject())];

    private static JsonObject Report(JsonObject run, string report) => Assert.Single(Reports(run), r => Text(r, "report") == report);

    private static string Outcome(JsonObject run, string report) => Text(Report(run, report), "outcome");

    private static string Text(JsonNode node, string name) =>
        node[name]?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException($"no {name} in {node.ToJsonString()}");
}
