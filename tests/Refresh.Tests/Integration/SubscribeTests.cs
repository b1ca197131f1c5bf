using System.Text.Json.Nodes;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class SubscribeTests
{
    [Fact]
    public async Task Subscribe_Defaults_ListsPubsubTopicRouteAndDeadLetterTopic()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        var subscriptions = await GetAsync(app);

        var main = Assert.Single(subscriptions, s => s["topic"]!.GetValue<string>() == "dbt-job-run-completed");
        Assert.Equal("pubsub", main["pubsubName"]!.GetValue<string>());
        Assert.Equal("events/dbt-job-run-completed", main["route"]!.GetValue<string>().TrimStart('/'));
        Assert.Equal("dbt-job-run-completed-deadletter", main["deadLetterTopic"]!.GetValue<string>());
        var deadLetter = Assert.Single(subscriptions, s => s["topic"]!.GetValue<string>() == "dbt-job-run-completed-deadletter");
        Assert.Equal("pubsub", deadLetter["pubsubName"]!.GetValue<string>());
        Assert.Null(deadLetter["deadLetterTopic"]);
        Assert.Equal(2, subscriptions.Count);
    }

    [Fact]
    public async Task Subscribe_NamesConfigured_ListsConfiguredNamesOnFixedRoutes()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?>
            {
                ["Dapr:PubsubName"] = "kafka-pubsub",
                ["Subscription:CompletedTopic"] = "dbt-runs",
                ["Subscription:DeadLetterTopic"] = "dbt-runs-dlq",
            }));

        var subscriptions = await GetAsync(app);

        var main = Assert.Single(subscriptions, s => s["topic"]!.GetValue<string>() == "dbt-runs");
        Assert.Equal("kafka-pubsub", main["pubsubName"]!.GetValue<string>());
        Assert.Equal("dbt-runs-dlq", main["deadLetterTopic"]!.GetValue<string>());
        Assert.Equal("events/dbt-job-run-completed", main["route"]!.GetValue<string>().TrimStart('/'));
        Assert.Single(subscriptions, s => s["topic"]!.GetValue<string>() == "dbt-runs-dlq");
    }

    private static async Task<IReadOnlyList<JsonObject>> GetAsync(RefreshApp app)
    {
        var json = await app.Client.GetStringAsync("/dapr/subscribe", TestContext.Current.CancellationToken);
        return [.. JsonNode.Parse(json)!.AsArray().Select(n => n!.AsObject())];
    }
}
