using System.Text.Json.Nodes;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// <c>MinInterval</c>: a report asked for again within its interval is run once at the interval's end for all the
/// asks, by a Dapr job (the stand-in's Scheduler), with the latest dbt run's parameters; every asking run is served.
/// </summary>
public sealed class CoalescingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary><paramref name="reports"/> reports after job 123, each with MinInterval and a parameter naming the dbt run.</summary>
    private static Dictionary<string, string?> Settings(int reports, string minInterval)
    {
        var settings = new Dictionary<string, string?> { ["Tracking:Enabled"] = "false" };
        for (var i = 0; i < reports; i++)
        {
            foreach (var (key, value) in RefreshApp.Report(i, $"r{i}", "123")) settings[key] = value;
            settings[$"Refresh:Reports:{i}:MinInterval"] = minInterval;
            settings[$"Refresh:Reports:{i}:Parameters:run"] = "{runId}";
        }

        return settings;
    }

    private static JsonObject Run(int n) => DbtEvents.Completed(eventId: $"wev_{n}", runId: $"{1000 + n}");

    [Fact]
    public async Task Burst_FiftyRunsToFiveReportsWithinInterval_AtMostTwoRunsEachServingEveryRun()
    {
        // The 50 runs in 10 s with MinInterval 00:01:00, scaled down: the burst well inside the interval. 15 s, not
        // less: the 50 deliveries one after another took over 4 s on a loaded 2-core machine, and a burst that outlasts
        // the interval rightly starts a third run.
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(Settings(5, "00:00:15"), scheduler, broker);

        for (var n = 1; n <= 50; n++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(Run(n)));
        }

        await app.Mode.WaitForCallsAsync(c => c.Count(x => x.Accepted) >= 10, Wait);
        await Eventually.UntilAsync(() => scheduler.Jobs.Count == 0, "the coalesce jobs done", Ct);
        for (var i = 0; i < 5; i++)
        {
            var runs = app.Mode.Runs.Where(r => r.Report == $"r{i}").ToList();
            Assert.Equal(2, runs.Count);
            // The first ask runs at once (a single dbt run is never delayed); the coalesced run uses the latest run's parameters.
            Assert.Equal(["1001", "1050"], runs.Select(r => r.Parameters!["run"]!.GetValue<string>()));
        }

        // Every asking dbt run is recorded done: run 1 by its own run, the other 49 as served by the coalesced one.
        var state = app.Sidecar.GetStateSnapshot("statestore");
        for (var i = 0; i < 5; i++)
        {
            for (var n = 1; n <= 50; n++)
            {
                var record = JsonNode.Parse(state[$"mode-run:acme:r{i}:{1000 + n}"].Value)!;
                Assert.Equal("done", record["status"]!.GetValue<string>());
                if (n > 1)
                {
                    var servedBy = record["servedBy"]!.GetValue<string>();
                    var served = JsonNode.Parse(state[$"mode-run:acme:r{i}:{servedBy}"].Value)!;
                    Assert.Equal(app.Mode.Runs.Last(r => r.Report == $"r{i}").RunToken, served["modeRunToken"]!.GetValue<string>());
                }
            }
        }

        // A redelivery of any of them starts nothing.
        Assert.Equal("SUCCESS", await app.DeliverAsync(Run(7)));
        Assert.Equal("SUCCESS", await app.DeliverAsync(Run(1)));
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        Assert.Equal(10, app.Mode.Runs.Count);
        Assert.Empty(scheduler.Jobs);
    }

    [Fact]
    public async Task AskAfterInterval_RunsAtOnce()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(Settings(1, "00:00:00.500"), scheduler, broker);

        Assert.Equal("SUCCESS", await app.DeliverAsync(Run(1)));
        await Task.Delay(TimeSpan.FromMilliseconds(700), Ct);
        Assert.Equal("SUCCESS", await app.DeliverAsync(Run(2)));

        Assert.Equal(["1001", "1002"], app.Mode.Runs.Select(r => r.Parameters!["run"]!.GetValue<string>()));
        Assert.Empty(scheduler.Jobs);
    }

    [Fact]
    public async Task NoMinInterval_EveryRunRunsAtOnce()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        await using var app = await RefreshApp.StartServedAsync(Settings(1, "00:00:00"), scheduler, broker);

        for (var n = 1; n <= 3; n++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(Run(n)));
        }

        Assert.Equal(3, app.Mode.Runs.Count);
        Assert.Empty(scheduler.Jobs);
    }

    [Fact]
    public async Task RefreshRestartedBeforeDueTime_NewInstanceRunsCoalescedRunOnce()
    {
        using var scheduler = new StandInScheduler();
        var broker = new StandInBroker();
        var store = new StandInStateStore();
        await using var mode = await FakeModeServer.StartAsync(RefreshApp.Token, RefreshApp.Secret, Ct);
        var first = await RefreshApp.StartServedAsync(Settings(1, "00:00:02"), scheduler, broker, store, mode);
        Assert.Equal("SUCCESS", await first.DeliverAsync(Run(1)));
        Assert.Equal("SUCCESS", await first.DeliverAsync(Run(2)));
        Assert.Equal("SUCCESS", await first.DeliverAsync(Run(3)));
        await first.DisposeAsync(); // the Scheduler keeps the job, the state store the pending asks
        Assert.Single(mode.Runs);
        Assert.NotNull(scheduler.Find(RefreshApp.AppId, "coalesce:acme:r0"));

        await using var second = await RefreshApp.StartServedAsync(Settings(1, "00:00:02"), scheduler, broker, store, mode);

        await mode.WaitForCallsAsync(c => c.Count(x => x.Accepted) >= 2, Wait);
        await Eventually.UntilAsync(() => scheduler.Jobs.Count == 0, "the coalesce job done", Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        Assert.Equal(["1001", "1003"], mode.Runs.Select(r => r.Parameters!["run"]!.GetValue<string>()));
    }
}
