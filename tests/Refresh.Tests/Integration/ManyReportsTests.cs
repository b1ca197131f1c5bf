using System.Globalization;
using System.Text;
using Dapr.Client.Autogen.Grpc.v1;
using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>One event routed to more reports than one delivery can run: steady, bounded progress across deliveries.</summary>
public sealed class ManyReportsTests
{
    private static Dictionary<string, string?> Reports(int count, string job = "123")
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < count; i++)
        {
            settings[$"Refresh:Reports:{i}:Report"] = $"r{i}";
            settings[$"Refresh:Reports:{i}:Jobs:0"] = job;
        }

        return settings;
    }

    [Fact]
    public async Task Deliver_MoreReportsThanOneBudget_EachRunsOnceAcrossDeliveriesWithBoundedReason()
    {
        const int count = 150;
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(Reports(count), new Dictionary<string, string?>
        {
            ["Mode:RequestsPerSecond"] = "50",
            ["Subscription:DeliveryBudget"] = "00:00:00.300",
        }));
        var evt = DbtEvents.Completed(eventId: "wev_many", runId: "many");

        var answers = new List<string> { await app.DeliverAsync(evt, "ce-many") };
        var firstRunKeyReads = ReadsOf(app, "mode-run:acme:r0:many");
        var afterFirst = app.Mode.Runs.Count;
        var reason = Reason(app, "wev_many");
        while (answers[^1] != "SUCCESS" && answers.Count < 40)
        {
            answers.Add(await app.DeliverAsync(evt, "ce-many"));
        }

        Assert.Equal("RETRY", answers[0]);
        Assert.Equal("SUCCESS", answers[^1]);
        Assert.InRange(afterFirst, 1, count - 1); // the first delivery did part of the work, within its budget
        Assert.All(Enumerable.Range(0, count), i => Assert.Single(app.Mode.Runs, r => r.Report == $"r{i}"));
        Assert.Equal(count, app.Mode.Calls.Count);

        // The first delivery's reason says what is left, in bounded text.
        Assert.NotNull(reason);
        Assert.StartsWith($"{count - afterFirst} of {count} report(s) not done: ", reason, StringComparison.Ordinal);
        Assert.Contains("not started within this delivery's budget (Subscription:DeliveryBudget 00:00:00.3000000)", reason, StringComparison.Ordinal);
        Assert.True(reason.Length < 5_000, $"{reason.Length} characters");

        // Reports settled before the stored position are not asked about again.
        Assert.Equal(firstRunKeyReads, ReadsOf(app, "mode-run:acme:r0:many"));
        Assert.True(app.Logs.Contains(LogLevel.Information, "Event wev_many (dbt run many) done: 150 report(s) run"));
    }

    [Fact]
    public async Task Deliver_AllSettledEarlier_SecondDeliveryAnswersFromStoredPositionWithoutClaims()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(Reports(30), new Dictionary<string, string?> { ["Mode:RequestsPerSecond"] = "100" }));
        var evt = DbtEvents.Completed(eventId: "wev_again", runId: "again");
        Assert.Equal("SUCCESS", await app.DeliverAsync(evt));
        // The run history's background writes read state too: not the delivery's, left out.
        var reads = app.Sidecar.Calls.Count(c => c.Method == "GetState" && !((GetStateRequest)c.Request).Key.StartsWith("history:", StringComparison.Ordinal));

        Assert.Equal("SUCCESS", await app.DeliverAsync(evt));

        Assert.Equal(30, app.Mode.Runs.Count);
        Assert.Equal(reads + 1, app.Sidecar.Calls.Count(c => c.Method == "GetState" && !((GetStateRequest)c.Request).Key.StartsWith("history:", StringComparison.Ordinal))); // the position only
    }

    [Fact]
    public async Task Deliver_ReportWaitedOnlyForRateLimiter_ReasonSaysNotSentToModeNotAModeTimeout()
    {
        // One call per second, and less total time than the wait for a second permit.
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(Reports(2), new Dictionary<string, string?>
        {
            ["Mode:RequestsPerSecond"] = "1",
            ["Mode:TotalTimeout"] = "00:00:00.500",
            ["Mode:AttemptTimeout"] = "00:00:00.400",
            ["Idempotency:Lease"] = "00:00:05",
        }));

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_wait")));

        var reason = Reason(app, "wev_wait");
        Assert.Single(app.Mode.Calls);
        var waited = app.Mode.Calls[0].Report == "r0" ? "r1" : "r0";
        Assert.Contains($"acme/{waited}: not sent to Mode: waited Mode:TotalTimeout (00:00:00.5000000) for the client-side rate limiter", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("did not answer", reason, StringComparison.Ordinal);
    }

    private static int ReadsOf(RefreshApp app, string key) =>
        app.Sidecar.Calls.Count(c => c.Method == "GetState" && ((GetStateRequest)c.Request).Key == key);

    private static string? Reason(RefreshApp app, string eventId) =>
        app.Sidecar.GetStateSnapshot("statestore").TryGetValue($"deadletter-reason:{eventId}", out var stored)
            ? Encoding.UTF8.GetString(stored.Value)
            : null;
}
