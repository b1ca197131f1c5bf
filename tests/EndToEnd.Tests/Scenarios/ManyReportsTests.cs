using System.Net;
using System.Text;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>
/// One dbt run routed to hundreds of reports, more than one delivery's budget can run: every report runs exactly
/// once across daprd's redeliveries, each delivery answers in bounded time, and the stored reason stays small.
/// </summary>
public sealed class ManyReportsTests
{
    private const int Reports = 300;

    [Fact]
    public async Task Webhook_RoutedToThreeHundredReports_EachRunsOnceAcrossRedeliveriesWithBoundedReason()
    {
        // 100 calls/s and a 1 s budget: about a third of the reports per delivery, so several deliveries are needed.
        var settings = new Dictionary<string, string?>
        {
            ["Mode__RequestsPerSecond"] = "100",
            ["Subscription__DeliveryBudget"] = "00:00:01",
        };
        for (var i = 0; i < Reports; i++)
        {
            settings[$"Refresh__Reports__{i}__Report"] = $"report-{i}";
            settings[$"Refresh__Reports__{i}__Jobs__0"] = "123";
        }

        await using var system = await EndToEndSystem.StartAsync(settings);

        using var response = await system.SendAsync(Webhooks.Completed("wev_many", "123", "run-many"));
        await system.WaitSettledAsync(["wev_many"], 1, TimeSpan.FromSeconds(120));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var perReport = ModeChecks.AcceptedPerReport(system.Mode);
        Assert.Equal(Reports, perReport.Count);
        Assert.All(perReport, r => Assert.Equal(1, r.Value));
        Assert.Equal(Reports, system.Mode.Calls.Count);
        ModeChecks.AllWellFormed(system.Mode.Calls);
        ModeChecks.RateWithin(system.Mode, 100);
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));

        // Progress across deliveries: RETRY while reports were left, then SUCCESS.
        var answers = system.Broker.Deliveries.Where(d => d.MessageId == "wev_many" && d.Topic == EndToEndSystem.Topic)
            .OrderBy(d => d.Attempt).Select(d => d.Answer).ToList();
        Assert.True(answers.Count >= 2, $"{answers.Count} deliveries");
        Assert.All(answers[..^1], a => Assert.Equal(StandInAnswer.Retry, a));
        Assert.Equal(StandInAnswer.Success, answers[^1]);

        // The reason of the last RETRY is kept (deadletter-reason:{eventId}) and is bounded, not one line per report.
        var reason = Encoding.UTF8.GetString(system.RefreshSidecar.GetStateSnapshot("statestore")["deadletter-reason:wev_many"].Value);
        Assert.Contains($"of {Reports} report(s) not done", reason, StringComparison.Ordinal);
        Assert.True(reason.Length < 5_000, $"{reason.Length} characters");
        TestContext.Current.TestOutputHelper?.WriteLine($"many reports: {answers.Count} deliveries; last reason: {reason}");
    }
}
