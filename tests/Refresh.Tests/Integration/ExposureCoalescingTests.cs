using System.Globalization;
using System.Text.Json.Nodes;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// Coalescing of reports found through the dbt project's exposures (no configured route): <c>meta.mode.min_interval</c>
/// on the exposure, or <c>Exposures:MinInterval</c> for all of them. Two dbt runs that both feed the report within
/// its interval run it once at once and once at the interval's end, through the stand-in's Scheduler.
/// </summary>
public sealed class ExposureCoalescingTests
{
    private const string Coalesced = "a1a1a1a1a1a1"; // exposure with meta.mode.min_interval
    private const string EachTime = "b2b2b2b2b2b2"; // exposure without
    private const long FirstRun = 81001;
    private const long SecondRun = 81002;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExposureWithMinInterval_AskedTwiceWithinIt_RunsOnceAtOnceAndOnceAtTheEnd()
    {
        await using var rig = await StartAsync(exposuresMinInterval: null);

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(Event(FirstRun)));
        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(Event(SecondRun)));

        // The exposure without an interval runs for each dbt run; the one with it once so far.
        Assert.Equal(new Dictionary<string, int> { [Coalesced] = 1, [EachTime] = 2 }, rig.RunsPerReport());
        Assert.NotNull(rig.Scheduler.Find(RefreshApp.AppId, $"coalesce:acme:{Coalesced}"));

        await rig.App.Mode.WaitForCallsAsync(c => c.Count(x => x.Accepted && x.Report == Coalesced) >= 2, Wait);
        await Eventually.UntilAsync(() => rig.Scheduler.Jobs.Count == 0, "the coalesce job done", Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        Assert.Equal(new Dictionary<string, int> { [Coalesced] = 2, [EachTime] = 2 }, rig.RunsPerReport());
        var runs = rig.App.Mode.Runs.Where(r => r.Report == Coalesced).ToList();
        Assert.True(runs[1].At - runs[0].At >= TimeSpan.FromSeconds(1.5), $"the coalesced run came {runs[1].At - runs[0].At} after the first");
        // The second dbt run is recorded as served by the coalesced run.
        var record = rig.App.Record(Coalesced, SecondRun.ToString(CultureInfo.InvariantCulture))!;
        Assert.Equal("done", record["status"]!.GetValue<string>());
        Assert.StartsWith("coalesced-", record["servedBy"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExposuresMinInterval_AppliesToExposuresWithoutTheirOwn()
    {
        // The exposure's own min_interval (2 s) still wins for its report; the other one takes Exposures:MinInterval.
        await using var rig = await StartAsync(exposuresMinInterval: "00:00:02");

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(Event(FirstRun)));
        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(Event(SecondRun)));

        Assert.Equal(new Dictionary<string, int> { [Coalesced] = 1, [EachTime] = 1 }, rig.RunsPerReport());
        await rig.App.Mode.WaitForCallsAsync(c => c.Count(x => x.Accepted) >= 4, Wait);
        await Eventually.UntilAsync(() => rig.Scheduler.Jobs.Count == 0, "the coalesce jobs done", Ct);
        Assert.Equal(new Dictionary<string, int> { [Coalesced] = 2, [EachTime] = 2 }, rig.RunsPerReport());
    }

    private static JsonObject Event(long runId)
    {
        var evt = DbtEvents.Completed(eventId: $"wev_expc_{runId}", jobId: "777", runId: runId.ToString(CultureInfo.InvariantCulture));
        evt["accountId"] = AcmeProject.AccountId; // a number, as dbt sends it
        return evt;
    }

    private static async Task<Rig> StartAsync(string? exposuresMinInterval)
    {
        var project = new DbtProject(AcmeProject.Package);
        var orders = project.Source("shop", "orders");
        var staged = project.Model("stg_orders", "view", [orders]);
        project.Exposure("orders_live", "dashboard", [staged], $"https://app.mode.com/acme/reports/{Coalesced}",
            meta: new JsonObject { ["mode"] = new JsonObject { ["min_interval"] = "2s" } });
        project.Exposure("orders_daily", "dashboard", [staged], $"https://app.mode.com/acme/reports/{EachTime}");

        var dbtCloud = await FakeDbtCloudServer.StartAsync(ExposureRig.DbtToken, AcmeProject.AccountId, Ct);
        foreach (var runId in new[] { FirstRun, SecondRun })
        {
            dbtCloud.AddRun(FakeDbtRun.Of(AcmeProject.AccountId, runId, 10, project, ("Invoke dbt build", "build", [new DbtResult(staged, "success")])));
        }

        var scheduler = new StandInScheduler();
        var settings = new Dictionary<string, string?>
        {
            ["Exposures:Enabled"] = "true",
            ["Exposures:MinInterval"] = exposuresMinInterval,
            ["DbtCloud:BaseUrl"] = dbtCloud.BaseUrl,
            ["Tracking:Enabled"] = "false",
        };
        var app = await RefreshApp.StartServedAsync(settings, scheduler, new StandInBroker());
        app.Sidecar.SetSecret("secretstore", ExposureRig.TokenSecret, ExposureRig.DbtToken);
        return new Rig(app, dbtCloud, scheduler);
    }

    private sealed record Rig(RefreshApp App, FakeDbtCloudServer DbtCloud, StandInScheduler Scheduler) : IAsyncDisposable
    {
        public Dictionary<string, int> RunsPerReport() => App.Mode.Runs.GroupBy(r => r.Report!).ToDictionary(g => g.Key, g => g.Count());

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await DbtCloud.DisposeAsync();
            Scheduler.Dispose();
        }
    }
}
