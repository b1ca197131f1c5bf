using System.Text;
using System.Text.Json;
using Dapr;
using Grpc.Core;

namespace ModeRefresh.TestSupport.Tests;

public sealed class PublishTests
{
    [Fact]
    public async Task PublishByteEventAsync_WithMetadata_IsRecordedAsSent()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        var body = Encoding.UTF8.GetBytes("""{"eventId":"e-1"}""");

        await dapr.PublishByteEventAsync("pubsub", "dbt-runs", body, "application/cloudevents+json",
            new Dictionary<string, string> { ["rawPayload"] = "false", ["ttlInSeconds"] = "60" }, Sdk.Ct);

        var published = Assert.Single(sidecar.Published);
        Assert.Equal("pubsub", published.PubsubName);
        Assert.Equal("dbt-runs", published.Topic);
        Assert.Equal(body, published.Data);
        Assert.Equal("application/cloudevents+json", published.DataContentType);
        Assert.Equal("false", published.Metadata["rawPayload"]);
        Assert.Equal("60", published.Metadata["ttlInSeconds"]);
        var call = Assert.Single(sidecar.Calls);
        Assert.Equal(("PublishEvent", StatusCode.OK), (call.Method, call.Outcome));
    }

    [Fact]
    public async Task PublishEventAsync_TypedData_IsRecordedAsJson()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);

        await dapr.PublishEventAsync("pubsub", "dbt-runs", new { RunId = "42" }, Sdk.Ct);

        var published = Assert.Single(sidecar.Published);
        Assert.Equal("application/json", published.DataContentType);
        Assert.Equal("42", JsonDocument.Parse(published.Data).RootElement.GetProperty("runId").GetString());
    }

    [Fact]
    public async Task WaitForPublishAsync_LaterMatchingPublish_ReturnsIt()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.PublishEventAsync("pubsub", "other", new { N = 1 }, Sdk.Ct);

        var waiting = sidecar.WaitForPublishAsync(p => p.Topic == "dbt-runs", TimeSpan.FromSeconds(10));
        Assert.False(waiting.IsCompleted);
        await dapr.PublishEventAsync("pubsub", "dbt-runs", new { N = 2 }, Sdk.Ct);

        Assert.Equal("dbt-runs", (await waiting).Topic);
    }

    [Fact]
    public async Task WaitForPublishAsync_NoMatch_ThrowsTimeoutException()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);

        await Assert.ThrowsAsync<TimeoutException>(
            () => sidecar.WaitForPublishAsync(_ => true, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task PublishEventAsync_FailNextOnce_ThrowsOnceThenSucceeds()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.FailNext("PublishEvent", StatusCode.Unavailable);

        var ex = await Assert.ThrowsAsync<DaprException>(() => dapr.PublishEventAsync("pubsub", "t", new { N = 1 }, Sdk.Ct));
        await dapr.PublishEventAsync("pubsub", "t", new { N = 2 }, Sdk.Ct);

        Assert.Equal(StatusCode.Unavailable, Sdk.StatusOf(ex));
        Assert.Equal([StatusCode.Unavailable, StatusCode.OK], sidecar.Calls.Select(c => c.Outcome));
        Assert.Equal("""{"n":2}""", Encoding.UTF8.GetString(Assert.Single(sidecar.Published).Data));
    }

    [Fact]
    public async Task PublishEventAsync_FailAlwaysThenClearFaults_FailsUntilCleared()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.FailAlways("PublishEvent", StatusCode.Internal);

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<DaprException>(() => dapr.PublishEventAsync("pubsub", "t", new { i }, Sdk.Ct));
        }

        sidecar.ClearFaults();
        await dapr.PublishEventAsync("pubsub", "t", new { N = 4 }, Sdk.Ct);

        Assert.Single(sidecar.Published);
        Assert.Equal(4, sidecar.Calls.Count);
    }

    [Fact]
    public async Task FailNext_UnknownMethodName_Throws()
    {
        // A typo must not leave a fault that silently never fires.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);

        Assert.Throws<ArgumentException>(() => sidecar.FailNext("PublishEvents", StatusCode.Internal));
    }

    [Fact]
    public async Task PublishEventAsync_RecordNothing_AcceptedButNotRecorded()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.RecordNothing = true;

        await dapr.PublishEventAsync("pubsub", "dbt-runs", new { RunId = "1" }, Sdk.Ct);
        sidecar.RecordNothing = false;
        await dapr.PublishEventAsync("pubsub", "dbt-runs", new { RunId = "2" }, Sdk.Ct);

        Assert.Contains("\"2\"", Encoding.UTF8.GetString(Assert.Single(sidecar.Published).Data), StringComparison.Ordinal);
        Assert.Single(sidecar.Calls);
    }
}
