using System.Net;
using System.Text.Json.Nodes;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

public sealed class NonRunnableEventTests
{
    [Fact]
    public async Task ErroredStartedCancelledUnknownJobAndUnknownType_NoModeCallNothingDeadLettered()
    {
        await using var system = await EndToEndSystem.StartAsync();
        (string Body, string Topic, bool Published)[] cases =
        [
            (Webhooks.Payload("wev_err", "123", "8001", "job.run.errored", "Error", 20).ToJsonString(), "dbt-job-run-errored", true),
            (Webhooks.Payload("wev_start", "123", "8002", "job.run.started", "Running", 3).ToJsonString(), "dbt-job-run-started", true),
            (Webhooks.Payload("wev_cancel", "123", "8003", runStatus: "Cancelled", runStatusCode: 30).ToJsonString(), EndToEndSystem.Topic, true),
            (Webhooks.Payload("wev_fail", "123", "8004", runStatus: "Error", runStatusCode: 20).ToJsonString(), EndToEndSystem.Topic, true),
            (Webhooks.Completed("wev_unknown_job", "999", "8005"), EndToEndSystem.Topic, true),
            (Webhooks.Payload("wev_other", "123", "8006", "job.run.paused").ToJsonString(), "", false),
        ];

        foreach (var (body, topic, published) in cases)
        {
            using var response = await system.SendAsync(body);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
            Assert.Equal(published, answer["published"]!.GetValue<bool>());
            Assert.Equal(published ? topic : null, answer["topic"]?.GetValue<string>());
        }

        // Refresh answered SUCCESS to each completed-topic event: nothing can happen for them afterwards.
        await system.WaitSettledAsync("wev_cancel", "wev_fail", "wev_unknown_job");
        Assert.Equal(["dbt-job-run-errored", "dbt-job-run-started", EndToEndSystem.Topic, EndToEndSystem.Topic, EndToEndSystem.Topic],
            system.Broker.Messages.Select(m => m.Topic));
        Assert.All(system.Broker.Deliveries, d => Assert.Equal((EndToEndSystem.Topic, StandInAnswer.Success), (d.Topic, d.Answer)));
        Assert.Empty(system.Mode.Calls);
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));
        Assert.Empty(await system.DeadLettersAsync());
    }
}
