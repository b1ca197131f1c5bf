using System.Text;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class IdempotencyTests
{
    private static IReadOnlyDictionary<string, string?> ThreeReports() => RefreshApp.Merge(
        RefreshApp.Report(0, "r1", "123"), RefreshApp.Report(1, "r2", "123"), RefreshApp.Report(2, "r3", "*"));

    [Fact]
    public async Task Deliver_SameEventFiveTimes_OneModeRunPerReport()
    {
        await using var app = await RefreshApp.StartAsync(ThreeReports());

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(), $"ce-{i}"));
        }

        AssertOneRunEach(app, "r1", "r2", "r3");
    }

    [Fact]
    public async Task Deliver_SameEventFiveTimesConcurrently_OneModeRunPerReport()
    {
        await using var app = await RefreshApp.StartAsync(ThreeReports());
        // Slow answers keep the first claims in flight while the other deliveries arrive.
        app.Mode.Enqueue(FakeModeResponse.Slow(TimeSpan.FromMilliseconds(300)), times: 3);

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => app.DeliverAsync(DbtEvents.Completed(), $"ce-{i}")));

        Assert.All(answers, a => Assert.Contains(a, new[] { "SUCCESS", "RETRY" }));
        Assert.Contains("RETRY", answers); // in-flight duplicates ask for redelivery instead of calling Mode
        // daprd redelivers what was answered RETRY; by then the runs are done.
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(), "ce-redelivered"));
        AssertOneRunEach(app, "r1", "r2", "r3");
    }

    [Fact]
    public async Task Deliver_OneOfSeveralReportsFailsTransiently_OnlyThatOneRunsOnRedelivery()
    {
        await using var app = await RefreshApp.StartAsync(ThreeReports());
        app.Mode.Enqueue(FakeModeResponse.Unavailable, report: "r2", times: 3); // the first delivery's 3 attempts

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed(), "ce-1"));
        Assert.Null(app.Record("r2")); // released at once, not left to the lease
        Assert.Equal(2, app.Mode.Runs.Count);

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(), "ce-1"));

        AssertOneRunEach(app, "r1", "r2", "r3");
        Assert.Equal(1, app.Mode.Calls.Count(c => c.Report == "r1"));
        Assert.Equal(1, app.Mode.Calls.Count(c => c.Report == "r3"));
    }

    [Fact]
    public async Task Deliver_DifferentDbtRunsOfSameJob_EachRunsTheReport()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_a", runId: "1")));
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_b", runId: "2")));

        Assert.Equal(2, app.Mode.Runs.Count);
    }

    [Fact]
    public async Task Deliver_StartedRecordOlderThanLease_TakesOverAndRuns()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        Seed(app, "r1", DateTimeOffset.UtcNow - TimeSpan.FromMinutes(3));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Single(app.Mode.Runs);
        Assert.Equal("done", app.Record("r1")!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deliver_StartedRecordYoungerThanLease_RetryWithoutModeCall()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        Seed(app, "r1", DateTimeOffset.UtcNow - TimeSpan.FromSeconds(10));

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Empty(app.Mode.Calls);
        Assert.Equal("started", app.Record("r1")!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deliver_LeaseConfiguredShorter_StartedRecordPastItIsTakenOver()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?> { ["Idempotency:Lease"] = "00:00:30" }));
        Seed(app, "r1", DateTimeOffset.UtcNow - TimeSpan.FromSeconds(45));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Single(app.Mode.Runs);
    }

    [Fact]
    public async Task Deliver_StateStoreUnavailable_RetryWithoutModeCall()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Sidecar.FailAlways("GetState", Grpc.Core.StatusCode.Unavailable);

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Empty(app.Mode.Calls);
    }

    [Fact]
    public async Task Deliver_StateStoreFailsFastTwice_RetriedInProcessAndRuns()
    {
        // daprd no longer retries state calls (components/resiliency.yaml): a blip is retried here, where a lost race
        // can be told from an outage.
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Sidecar.FailNext("GetState", Grpc.Core.StatusCode.Unavailable, times: 2);

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Single(app.Mode.Runs);
    }

    [Fact]
    public async Task Deliver_StateStoreHangs_RetryWithinCallTimeout()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?> { ["Dapr:CallTimeout"] = "00:00:01" }));
        app.Sidecar.HangNext("GetState");

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Empty(app.Mode.Calls);
    }

    [Fact]
    public async Task Deliver_DoneCannotBeSavedAfterModeAccepted_StillSuccessAndErrorLogged()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Mode.Enqueue(FakeModeResponse.Slow(TimeSpan.FromMilliseconds(500)));

        var delivery = app.DeliverAsync(DbtEvents.Completed());
        await app.Mode.WaitForCallsAsync(calls => calls.Count == 1, TimeSpan.FromSeconds(10));
        app.Sidecar.FailAlways("SaveState", Grpc.Core.StatusCode.Unavailable); // the claim is written; "done" will not be

        Assert.Equal("SUCCESS", await delivery);
        Assert.Single(app.Mode.Runs);
        Assert.Equal("started", app.Record("r1")!["status"]!.GetValue<string>());
        Assert.True(app.Logs.Contains(Microsoft.Extensions.Logging.LogLevel.Error, "could not be recorded as done"));
    }

    private static void Seed(RefreshApp app, string report, DateTimeOffset startedAt) =>
        app.Sidecar.SetState("statestore", $"mode-run:acme:{report}:12345", Encoding.UTF8.GetBytes(
            $$"""{"status":"started","claimId":"someone-else","eventId":"wev_0","startedAt":"{{startedAt:O}}"}"""));

    private static void AssertOneRunEach(RefreshApp app, params string[] reports)
    {
        foreach (var report in reports)
        {
            Assert.Equal(1, app.Mode.Runs.Count(c => c.Report == report));
        }

        Assert.Equal(reports.Length, app.Mode.Runs.Count);
    }
}
