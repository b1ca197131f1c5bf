using System.Diagnostics;
using System.Net;
using ModeRefresh.EndToEnd.Tests.Harness;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>
/// Ingress's sidecar restarted, as Kubernetes does routinely: an outage of 30 s, then webhooks must be accepted
/// within 2 s of the sidecar's return, and what was accepted reaches Mode once.
/// </summary>
public sealed class SidecarRestartTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Allowed = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task IngressSidecarRestartedAfter30s_WebhooksAcceptedWithin2sOfItsReturn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var system = await EndToEndSystem.StartAsync();
        using (var first = await system.SendAsync(Webhooks.Completed("wev_rs_before", "123", "run-rs-before")))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        await system.IngressSidecar.StopServingAsync();
        var away = Stopwatch.StartNew();
        var refused = 0;
        while (away.Elapsed < Outage)
        {
            // dbt's retries meanwhile: each one refused (never a 202 for what was not published), within dbt's 10 s.
            var watch = Stopwatch.StartNew();
            using var response = await system.SendAsync(Webhooks.Completed($"wev_rs_out_{refused}", "123", $"run-rs-out-{refused}"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"503 after {watch.Elapsed}");
            refused++;
            // No readiness probe meanwhile: a probe starts a connection attempt at once, which would hide how far
            // gRPC's reconnect backoff grows on its own (Ingress.Tests check /readyz through an outage).
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }

        await system.IngressSidecar.ResumeServingAsync(ct);
        var outage = away.Elapsed;
        var back = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var retry = await system.SendAsync(Webhooks.Completed("wev_rs_after", "123", "run-rs-after"));
            status = retry.StatusCode;
            if (status != HttpStatusCode.Accepted) await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }
        while (status != HttpStatusCode.Accepted && back.Elapsed < TimeSpan.FromSeconds(60));

        var lag = back.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"sidecar away {outage.TotalSeconds:0.0} s, {refused} webhooks refused meanwhile; accepted again {lag.TotalMilliseconds:0} ms after its return");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.True(lag < Allowed, $"webhooks accepted again only {lag.TotalSeconds:0.0} s after the sidecar's return (allowed {Allowed.TotalSeconds} s)");
        await system.Ingress.WaitForAsync("/readyz", TimeSpan.FromSeconds(5));
        await system.WaitSettledAsync("wev_rs_before", "wev_rs_after");
        Assert.Equal(["wev_rs_before", "wev_rs_after"], system.IngressSidecar.Published.Select(p => p.Metadata["cloudevent.id"]));
        Assert.Equal(new Dictionary<string, int> { ["report-a"] = 2, ["report-b"] = 2 }, ModeChecks.AcceptedPerReport(system.Mode));
        Assert.Single(system.Ingress.Output, l => l.Contains("The Dapr sidecar is not reachable", StringComparison.Ordinal));
    }
}
