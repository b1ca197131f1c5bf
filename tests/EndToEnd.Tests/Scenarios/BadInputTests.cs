using System.Net;
using System.Text;
using ModeRefresh.EndToEnd.Tests.Harness;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>Forged, malformed, oversized and odd requests over real HTTP to the Ingress process.</summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task BadInputCatalogue_EachGetsItsStatusNothingPublishedServiceStillHealthy()
    {
        await using var system = await EndToEndSystem.StartAsync();
        var cases = BadInputCatalogue.Cases(system);
        Assert.True(cases.Count >= 30, $"only {cases.Count} cases");

        var mismatches = new List<string>();
        foreach (var c in cases)
        {
            var status = await c.Send();
            TestContext.Current.TestOutputHelper?.WriteLine($"{status} (expected {c.Expected}): {c.Name}");
            if (status != c.Expected && status != c.Alternative)
            {
                mismatches.Add($"{c.Name}: got {status}, expected {c.Expected}");
            }
        }

        Assert.Empty(mismatches);
        Assert.Empty(system.IngressSidecar.Published);
        Assert.Empty(system.Broker.Messages);
        Assert.Empty(system.Mode.Calls);
        Assert.False(system.Ingress.HasExited);
        using var health = await system.Ingress.Client.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        // Still doing its job after the flood: a genuine webhook goes all the way to Mode.
        using var genuine = await system.SendAsync(Webhooks.Completed("wev_after_flood", "123", "run-after-flood"));
        Assert.Equal(HttpStatusCode.Accepted, genuine.StatusCode);
        await system.WaitSettledAsync("wev_after_flood");
        Assert.Equal(2, system.Mode.Runs.Count);
    }
}
