using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Ingress.Publishing;
using ModeRefresh.Ingress.Sidecar;
using ModeRefresh.ServiceDefaults;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

/// <summary>The publisher on its own against the stand-in: what happens to events still queued when the host stops.</summary>
public sealed class EventPublisherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StopAsync_EventsQueuedBehindASlowPublish_AllSentAndAcceptedThenNewOnesRefused()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Ct);
        using var api = new SidecarPublishApi(sidecar.GrpcEndpoint, apiToken: null);
        var publisher = new EventPublisher(api, Options.Create(new IngressOptions { PublishConcurrency = 1 }),
            Options.Create(new DaprOptions()), new SidecarReachability(NullLogger<SidecarReachability>.Instance), TimeProvider.System, NullLogger<EventPublisher>.Instance);
        await publisher.StartAsync(Ct);
        sidecar.DelayNext("BulkPublishEvent", TimeSpan.FromMilliseconds(500));
        var first = publisher.PublishAsync("t", Event("e0"), Ct);
        await WaitForBulkCallAsync(sidecar);
        // Queued synchronously (before PublishAsync's first await), behind the slow call.
        var queued = Enumerable.Range(1, 5).Select(i => publisher.PublishAsync("t", Event($"e{i}"), Ct)).ToList();

        await publisher.StopAsync(Ct);

        Assert.Equal(6, sidecar.Published.Count);
        Assert.All(await Task.WhenAll(queued.Prepend(first)), outcome => Assert.True(outcome.IsAccepted, outcome.Failure));
        var late = await publisher.PublishAsync("t", Event("late"), Ct);
        Assert.Equal("shutting down", late.Failure);
        Assert.Equal(6, sidecar.Published.Count);
    }

    private static DbtRunEvent Event(string id) => new()
    {
        EventId = id, EventType = DbtEventTypes.RunCompleted, AccountId = "1", Data = new DbtRunData { JobId = "1", RunId = id },
    };

    private static Task WaitForBulkCallAsync(StandInSidecar sidecar) =>
        Eventually.UntilAsync(() => sidecar.Calls.Any(c => c.Method == "BulkPublishEvent"), "a bulk publish at the sidecar", Ct);
}
