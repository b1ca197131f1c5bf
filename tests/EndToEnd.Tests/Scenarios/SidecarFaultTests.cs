using System.Diagnostics;
using System.Net;
using Grpc.Core;
using ModeRefresh.EndToEnd.Tests.Harness;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>Ingress's sidecar failing or hanging: dbt sees 503 in time, its retry succeeds, and nothing is published twice.</summary>
public sealed class SidecarFaultTests
{
    // Ingress__PublishTimeout is 2 s in these runs; the rest is the secret read and the loopback round trip.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData("fail")]
    [InlineData("hang")]
    public async Task PublishFailsOrHangs_DbtSees503InTimeThenRetryIsAcceptedOnce(string fault)
    {
        await using var system = await EndToEndSystem.StartAsync();
        if (fault == "hang")
        {
            system.IngressSidecar.HangNext("BulkPublishEvent", times: 2);
        }
        else
        {
            system.IngressSidecar.FailNext("BulkPublishEvent", StatusCode.Unavailable, times: 2);
        }

        var body = Webhooks.Completed($"wev_sc_{fault}", "123", $"run-sc-{fault}");
        for (var i = 0; i < 2; i++)
        {
            var watch = Stopwatch.StartNew();
            using var refused = await system.SendAsync(body);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.True(watch.Elapsed < Bound, $"503 after {watch.Elapsed}, bound {Bound}");
        }

        using var retried = await system.SendAsync(body);
        await system.WaitSettledAsync($"wev_sc_{fault}");

        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        Assert.Single(system.IngressSidecar.Published);
        Assert.Single(system.Broker.MessagesOn(EndToEndSystem.Topic));
        Assert.Equal(2, system.Broker.MessagesOn("mode-report-runs").Count); // Refresh announces each accepted run
        Assert.Equal(3, system.IngressSidecar.Calls.Count(c => c.Method == "BulkPublishEvent"));
        Assert.Equal(new Dictionary<string, int> { ["report-a"] = 1, ["report-b"] = 1 }, ModeChecks.AcceptedPerReport(system.Mode));
        Assert.Equal(2, system.Mode.Calls.Count);
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
    }
}
