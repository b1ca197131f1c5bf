using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

public sealed class HappyPathTests
{
    [Fact]
    public async Task Webhook_CompletedSuccess_RunsEachReportOnceWithPathCredentialsAndParameters()
    {
        await using var system = await EndToEndSystem.StartAsync();

        using var response = await system.SendAsync(Webhooks.Completed("wev_happy", "123", "9001"));
        await system.WaitSettledAsync("wev_happy");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(("wev_happy", EndToEndSystem.Topic, true),
            (answer["eventId"]!.GetValue<string>(), answer["topic"]!.GetValue<string>(), answer["published"]!.GetValue<bool>()));
        Assert.Equal(new Dictionary<string, int> { ["report-a"] = 1, ["report-b"] = 1 }, ModeChecks.AcceptedPerReport(system.Mode));
        Assert.Equal(2, system.Mode.Calls.Count);
        ModeChecks.AllWellFormed(system.Mode.Calls);
        Assert.Empty(Assert.Single(system.Mode.Calls, c => c.Report == "report-a").Parameters!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"region":"EU","segments":["smb","enterprise"]}"""),
            Assert.Single(system.Mode.Calls, c => c.Report == "report-b").Parameters));
        var delivery = Assert.Single(system.Broker.Deliveries);
        Assert.Equal(("wev_happy", StandInAnswer.Success, 200), (delivery.MessageId, delivery.Answer, delivery.HttpStatus));
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
        Assert.Empty(await system.DeadLettersAsync());
    }

    [Fact]
    public async Task Webhook_TwentyEventsInTurn_EachRunsOnceAndLatencyIsReported()
    {
        // One report, and a limit above the send rate: the numbers then measure the path, not the rate limiter.
        await using var system = await EndToEndSystem.StartAsync(new Dictionary<string, string?>
        {
            ["Refresh__Reports__0__Report"] = "report-latency",
            ["Refresh__Reports__0__Jobs__0"] = "456",
            ["Mode__RequestsPerSecond"] = "50",
        });
        var latencies = new List<TimeSpan>();

        for (var i = 0; i < 20; i++)
        {
            var sentAt = DateTimeOffset.UtcNow;
            using var response = await system.SendAsync(Webhooks.Completed($"wev_lat_{i}", "456", $"run-lat-{i}"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await system.Mode.WaitForCallsAsync(calls => calls.Count == i + 1, ModeChecks.Patience);
            latencies.Add(system.Mode.Calls[i].At - sentAt);
        }

        await system.WaitSettledAsync(Enumerable.Range(0, 20).Select(i => $"wev_lat_{i}"));
        Assert.Equal(20, system.Mode.Runs.Count);
        ModeChecks.AllWellFormed(system.Mode.Calls);
        var sorted = latencies.Order().ToArray();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"webhook -> Mode call over {sorted.Length} events: p50 {Ms(sorted[sorted.Length / 2])} ms, " +
            $"p99 {Ms(sorted[(int)Math.Ceiling(sorted.Length * 0.99) - 1])} ms, max {Ms(sorted[^1])} ms");
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}
