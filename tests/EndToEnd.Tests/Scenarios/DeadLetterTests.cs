using System.Net;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

public sealed class DeadLetterTests
{
    [Fact]
    public async Task Mode401_EventDeadLetteredWithTheReasonAndListed()
    {
        await using var system = await EndToEndSystem.StartAsync();
        system.Mode.SetCredentials("rotated-token", "rotated-secret"); // Refresh's secret store still has the old pair

        using var response = await system.SendAsync(Webhooks.Completed("wev_401", "123", "4010"));
        await system.WaitSettledAsync("wev_401");
        await system.Broker.WaitForDeliveriesAsync(
            d => d.Any(x => x.Topic == EndToEndSystem.DeadLetterTopic && x.Answer == StandInAnswer.Success), ModeChecks.Patience);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(system.Mode.Runs);
        Assert.NotEmpty(system.Mode.Calls);
        Assert.All(system.Mode.Calls, c => Assert.Equal(401, c.StatusCode));
        var drop = Assert.Single(system.Broker.Deliveries, d => d.Topic == EndToEndSystem.Topic);
        Assert.Equal(StandInAnswer.Drop, drop.Answer);
        var dead = Assert.Single(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
        Assert.Equal(("wev_401", EndToEndSystem.Topic), (dead.Id, dead.DeadLetterOf));
        var listed = Assert.Single(await system.DeadLettersAsync())!;
        Assert.Equal(("wev_401", "4010", "123"),
            (listed["eventId"]!.GetValue<string>(), listed["runId"]!.GetValue<string>(), listed["jobId"]!.GetValue<string>()));
        Assert.Contains("401", listed["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(system.Refresh.Output, l => l.Contains("wev_401", StringComparison.Ordinal) && l.Contains("401", StringComparison.Ordinal));
    }
}
