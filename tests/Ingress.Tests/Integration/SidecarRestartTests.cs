using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

/// <summary>
/// A sidecar restart, routine in Kubernetes. gRPC's reconnect backoff grows while the sidecar is away (by default to
/// tens of seconds), so without a bound publishing stayed down long after the sidecar was back. Real time: the backoff
/// is gRPC's own, not on the app's clock.
/// </summary>
public sealed class SidecarRestartTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Allowed = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Post_SidecarBackAfterA30sOutage_AcceptedWithin2sAndReadyAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_before"), "k3y-one")).StatusCode);

        await sidecar.StopServingAsync();
        var away = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz", ct)).StatusCode);
        // dbt keeps retrying meanwhile: every webhook of the outage is refused, none is lost as a 202.
        var refused = 0;
        while (away.Elapsed < Outage)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostSignedAsync(DbtPayloads.CompletedBody($"wev_out_{refused}"), "k3y-one")).StatusCode);
            refused++;
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }

        await sidecar.ResumeServingAsync(ct);
        var back = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            status = (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_after"), "k3y-one")).StatusCode;
            if (status != HttpStatusCode.Accepted) await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }
        while (status != HttpStatusCode.Accepted && back.Elapsed < Allowed + TimeSpan.FromSeconds(60));

        var lag = back.Elapsed;
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.True(lag < Allowed, $"publishing resumed {lag.TotalSeconds:0.0} s after the sidecar came back (allowed: {Allowed.TotalSeconds} s)");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", ct)).StatusCode);
        Assert.Equal(["wev_before", "wev_after"], sidecar.Published.Select(p => p.Metadata["cloudevent.id"]));
        Assert.True(refused >= 20, $"only {refused} webhooks during the outage");
        Assert.Single(app.Logs, l => l.Level == LogLevel.Error && l.Text.Contains("not reachable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Readyz_AfterASidecarRestart_ReadyOnlyOnceWebhooksAreAcceptedAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_r0"), "k3y-one")).StatusCode);

        // Long enough for gRPC's default backoff to reach several seconds, with webhooks failing meanwhile.
        await sidecar.StopServingAsync();
        var away = Stopwatch.StartNew();
        for (var i = 0; away.Elapsed < TimeSpan.FromSeconds(12); i++)
        {
            await client.PostSignedAsync(DbtPayloads.CompletedBody($"wev_r_out_{i}"), "k3y-one");
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }

        await sidecar.ResumeServingAsync(ct);
        // The sidecar's HTTP port answers at once; ready must still mean "a webhook now is accepted".
        var back = Stopwatch.StartNew();
        var checks = 0;
        while (back.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var ready = await client.GetAsync("/readyz", ct);
            if (ready.StatusCode != HttpStatusCode.OK)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
                continue;
            }

            var status = (await client.PostSignedAsync(DbtPayloads.CompletedBody($"wev_r_after_{checks}"), "k3y-one")).StatusCode;
            Assert.True(status == HttpStatusCode.Accepted, $"/readyz said ready {back.Elapsed.TotalSeconds:0.0} s after the sidecar came back, but a webhook got {(int)status}");
            if (++checks == 5) return;
        }

        Assert.Fail($"/readyz said ready only {checks} time(s) in 30 s after the sidecar came back");
    }
}
