using System.Diagnostics;
using System.Net;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>Timing-based: runs alone, so a busy machine does not add jitter from other tests.</summary>
[CollectionDefinition(nameof(SidecarRestartTests), DisableParallelization = true)]
public sealed class SidecarRestartCollection;

[Collection(nameof(SidecarRestartTests))]
public sealed class SidecarRestartTests
{
    /// <summary>
    /// With gRPC's default reconnect backoff (1 s, x1.6, up to 120 s) the channel's next attempt after a 30 s
    /// outage comes ~10-17 s after the sidecar is back; with the bounded backoff it is at most ~1.2 s.
    /// The bound leaves room for a loaded machine and is still far below the unbounded lag.
    /// </summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Deliver_SidecarDown30sThenBackOnSamePort_SucceedsWithinSecondsAndReadyzMatchesDeliveries()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "*"), new Dictionary<string, string?> { ["Mode:RequestsPerSecond"] = "50" }));
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_before", runId: "before")));

        await app.Sidecar.StopServingAsync();
        var outage = Stopwatch.StartNew();
        var n = 0;
        while (outage.Elapsed < TimeSpan.FromSeconds(30))
        {
            // The channel keeps trying (and backing off) while calls fail; each answer must agree with readiness.
            Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed(eventId: $"wev_down_{n}", runId: $"down-{n}")));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await HealthTests.ReadyzAsync(app)).Status);
            n++;
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }

        await app.Sidecar.ResumeServingAsync(ct);
        var back = Stopwatch.StartNew();
        var pairs = new List<(HttpStatusCode Ready, string Answer)>();
        string answer;
        do
        {
            var ready = (await HealthTests.ReadyzAsync(app)).Status;
            answer = await app.DeliverAsync(DbtEvents.Completed(eventId: $"wev_back_{pairs.Count}", runId: $"back-{pairs.Count}"));
            pairs.Add((ready, answer));
            Assert.True(back.Elapsed < Bound, $"still {answer} {back.Elapsed} after the sidecar came back ({pairs.Count} tries, last: {pairs[^1]})");
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }
        while (answer != "SUCCESS");

        // Ready only when deliveries work: no probe said ready while a delivery right after it failed.
        Assert.DoesNotContain(pairs, p => p.Ready == HttpStatusCode.OK && p.Answer != "SUCCESS");
        Assert.Equal(HttpStatusCode.OK, (await HealthTests.ReadyzAsync(app)).Status);
    }
}
