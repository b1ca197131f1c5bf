using System.Net;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>dbt retries a webhook it got no answer for; each retry is a new accepted publish of the same event.</summary>
public sealed class DbtRetryTests
{
    private static readonly Dictionary<string, int> OncePerReport = new() { ["report-a"] = 1, ["report-b"] = 1 };

    [Fact]
    public async Task SameWebhook_FiveTimesInTurn_OneModeRunPerReport()
    {
        await using var system = await EndToEndSystem.StartAsync();
        var body = Webhooks.Completed("wev_seq", "123", "7001");

        for (var i = 0; i < 5; i++)
        {
            using var response = await system.SendAsync(body);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await system.Broker.WaitForDeliveriesAsync(d => d.Count(x => x.Answer == StandInAnswer.Success) == 5, ModeChecks.Patience);
        Assert.Equal(5, system.Broker.MessagesOn(EndToEndSystem.Topic).Count);
        Assert.Equal(OncePerReport, ModeChecks.AcceptedPerReport(system.Mode));
        Assert.Equal(2, system.Mode.Calls.Count);
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
    }

    [Fact]
    public async Task SameWebhook_FiveTimesConcurrentlyAndEachDeliveredTwice_OneModeRunPerReport()
    {
        await using var system = await EndToEndSystem.StartAsync();
        system.RefreshSidecar.DeliveryCopies = 2; // at-least-once: every copy of every publish reaches Refresh twice, in parallel
        var body = Webhooks.Completed("wev_conc", "123", "7002");

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => system.SendAsync(body)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        await system.Broker.WaitForDeliveriesAsync(d => d.Count(x => x.Answer == StandInAnswer.Success) == 10, ModeChecks.Patience);
        Assert.Equal(OncePerReport, ModeChecks.AcceptedPerReport(system.Mode));
        ModeChecks.AllWellFormed(system.Mode.Calls);
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
        Assert.Empty(await system.DeadLettersAsync());
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }
}
