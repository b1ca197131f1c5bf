using System.Diagnostics;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Grpc.Net.Client;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace ModeRefresh.TestSupport.Tests;

// Timeouts: a hang fault that outlives its intended call would otherwise hang the whole run.
public sealed class HangTests
{
    [Fact(Timeout = 30_000)]
    public async Task PublishEventAsync_HangNextWithCancellation_IsCancelledInTimeThenNextCallSucceeds()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        await WarmUpAsync(dapr);
        sidecar.HangNext("PublishEvent");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Sdk.Ct);
        var hung = dapr.PublishEventAsync("pubsub", "t", new { N = 1 }, cts.Token);
        // Cancel only once the call has reached the stand-in: one cancelled before arrival takes no fault (loaded machine).
        await Sdk.EventuallyAsync(() => sidecar.Calls.Count == 2, "the hung call arrived");
        var watch = Stopwatch.StartNew();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hung);

        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        await dapr.PublishEventAsync("pubsub", "t", new { N = 2 }, Sdk.Ct);
        Assert.Single(sidecar.Published);
        await Sdk.EventuallyAsync(() => sidecar.Calls[1].Outcome == StatusCode.Cancelled, "hung call recorded as Cancelled");
        Assert.Equal(StatusCode.OK, sidecar.Calls[2].Outcome);
    }

    [Fact(Timeout = 30_000)]
    public async Task PublishEvent_HangNextWithGrpcDeadline_FailsWithDeadlineExceeded()
    {
        // The SDK's UseTimeout only bounds its HttpClient, so a gRPC deadline needs the generated stub.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var channel = GrpcChannel.ForAddress(sidecar.GrpcEndpoint);
        var stub = new Autogen.Dapr.DaprClient(channel);
        sidecar.HangNext("PublishEvent");
        var request = new Autogen.PublishEventRequest { PubsubName = "pubsub", Topic = "t" };

        // Generous deadline: the call must reach the stand-in (cold start included) before it expires.
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await stub.PublishEventAsync(request, deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: Sdk.Ct));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await Sdk.EventuallyAsync(() => sidecar.Calls[0].Outcome != StatusCode.Unknown, "hung call to end");
        Assert.Equal(StatusCode.DeadlineExceeded, sidecar.Calls[0].Outcome);
        Assert.Empty(sidecar.Published);
    }

    [Fact(Timeout = 30_000)]
    public async Task DisposeAsync_WhileCallHangs_ReleasesTheCallPromptly()
    {
        // Disposed twice (here and by the using), which must be harmless.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.HangAlways("GetState");
        var hung = dapr.GetStateAsync<string>("store", "k", cancellationToken: Sdk.Ct);
        await Sdk.EventuallyAsync(() => sidecar.Calls.Count == 1, "the call to arrive");
        var watch = Stopwatch.StartNew();

        await sidecar.DisposeAsync();

        await Assert.ThrowsAsync<DaprException>(() => hung);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.Equal(StatusCode.Unavailable, sidecar.Calls[0].Outcome);
    }

    [Fact(Timeout = 30_000)]
    public async Task GetStateAsync_HangNextTwice_HangsOnlyTheNextTwoCalls()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.HangNext("GetState", times: 2);

        for (var i = 1; i <= 2; i++)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Sdk.Ct);
            var call = dapr.GetStateAsync<string>("store", "k", cancellationToken: cts.Token);
            // Cancel only once the stand-in holds the call, so the fault is spent on this call and no other.
            await Sdk.EventuallyAsync(() => sidecar.Calls.Count == i, $"hung call {i} to arrive");
            await Task.Delay(100, Sdk.Ct);
            Assert.False(call.IsCompleted);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }

        Assert.Null(await dapr.GetStateAsync<string>("store", "k", cancellationToken: Sdk.Ct));
    }

    // A call cancelled before it reaches the stand-in never takes its fault, so the next call would get it instead.
    // One round trip first makes sure the channel is connected and the server warm.
    private static Task WarmUpAsync(DaprClient dapr) => dapr.GetStateAsync<string>("warm-up", "k", cancellationToken: Sdk.Ct);
}
