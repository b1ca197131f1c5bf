using System.Diagnostics;
using System.Text;
using Grpc.Core;
using static ModeRefresh.TestSupport.Tests.DaprStub;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>
/// DelayNext: a slow sidecar. Only lower bounds on time are asserted (a loaded machine is slow, never fast).
/// Timeouts: a delay that outlives its intended call would otherwise stall the run.
/// </summary>
public sealed class DelayTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan AtLeast = Delay * 0.9;

    // Long enough that no call could outlast it by being slow; the tests end such calls early instead of waiting.
    private static readonly TimeSpan Forever = TimeSpan.FromSeconds(60);

    [Theory(Timeout = 30_000)]
    [InlineData(Stable)]
    [InlineData(Alpha1)]
    public async Task BulkPublish_DelayNext_IsServedNormallyButNotBeforeTheDelay(string method)
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.DelayNext(method, Delay);
        var watch = Stopwatch.StartNew();

        var response = await stub.BulkPublishAsync(method, Request("dbt-runs", null, Entry("e-1", """{"n":1}"""), Entry("e-2", """{"n":2}""")));

        Assert.True(watch.Elapsed >= AtLeast, $"answered after {watch.Elapsed}, before the {Delay} delay");
        Assert.Empty(response.FailedEntries);
        Assert.Equal(["""{"n":1}""", """{"n":2}"""], sidecar.Published.Select(p => Encoding.UTF8.GetString(p.Data)));
        var call = Assert.Single(sidecar.Calls);
        Assert.Equal((method, StatusCode.OK), (call.Method, call.Outcome));
        // Server side too: the publish happened the delay after the call arrived, not on arrival.
        Assert.True(sidecar.Published[0].At - call.At >= AtLeast, $"published {sidecar.Published[0].At - call.At} after arrival");
    }

    [Fact(Timeout = 30_000)]
    public async Task BulkPublishEvent_DelayNextTwiceThenFailNext_DelaysTwoCallsThenTheFaultInOrder()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.DelayNext(Stable, Delay, times: 2);
        sidecar.FailNext(Stable, StatusCode.Unavailable);
        var request = Request("dbt-runs", null, Entry("e-1", "{}"));

        var elapsed = new List<TimeSpan>();
        for (var i = 0; i < 2; i++)
        {
            var watch = Stopwatch.StartNew();
            await stub.BulkPublishAsync(Stable, request);
            elapsed.Add(watch.Elapsed);
        }

        var ex = await Assert.ThrowsAsync<RpcException>(() => stub.BulkPublishAsync(Stable, request));
        await stub.BulkPublishAsync(Stable, request);

        Assert.All(elapsed, e => Assert.True(e >= AtLeast, $"a delayed call answered after {e}"));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal([StatusCode.OK, StatusCode.OK, StatusCode.Unavailable, StatusCode.OK], sidecar.Calls.Select(c => c.Outcome));
        Assert.Equal(3, sidecar.Published.Count);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(Stable)]
    [InlineData(Alpha1)]
    public async Task BulkPublish_DelayLongerThanGrpcDeadline_EndsDeadlineExceededAndPublishesNothing(string method)
    {
        var broker = new StandInBroker();
        await using var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker }, Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        await stub.WarmUpAsync();
        sidecar.DelayNext(method, Forever);

        // Generous deadline, so that even on a loaded machine the call reaches the stand-in and takes the delay.
        var ex = await Assert.ThrowsAsync<RpcException>(() => stub.BulkPublishAsync(
            method, Request("dbt-runs", null, Entry("e-1", "{}")), deadline: DateTime.UtcNow.AddSeconds(2)));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await Sdk.EventuallyAsync(() => sidecar.Calls.Count == 2 && sidecar.Calls[1].Outcome != StatusCode.Unknown, "delayed call to end");
        // Which of the client's reset and the server's own deadline comes first is a race; either way not OK.
        var outcome = sidecar.Calls[1].Outcome;
        Assert.True(outcome is StatusCode.DeadlineExceeded or StatusCode.Cancelled, $"delayed call recorded as {outcome}");
        Assert.Empty(sidecar.Published);
        Assert.Empty(broker.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task PublishEventAsync_DelayNextThenCancelled_EndsCancelledPublishesNothingAndOtherCallsAreServedMeanwhile()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.GetStateAsync<string>("warm-up", "k", cancellationToken: Sdk.Ct);
        sidecar.DelayNext("PublishEvent", Forever);
        sidecar.SetState("store", "k", Encoding.UTF8.GetBytes("\"v\""));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Sdk.Ct);

        var delayed = dapr.PublishEventAsync("pubsub", "dbt-runs", new { N = 1 }, cts.Token);
        await Sdk.EventuallyAsync(() => sidecar.Calls.Count == 2, "the delayed call to arrive");
        // A delay holds only its own call: the sidecar keeps serving others meanwhile.
        Assert.Equal("v", await dapr.GetStateAsync<string>("store", "k", cancellationToken: Sdk.Ct));
        Assert.False(delayed.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delayed);
        await Sdk.EventuallyAsync(() => sidecar.Calls[1].Outcome != StatusCode.Unknown, "delayed call to end");
        Assert.Equal(("PublishEvent", StatusCode.Cancelled), (sidecar.Calls[1].Method, sidecar.Calls[1].Outcome));
        Assert.Empty(sidecar.Published);
    }

    [Fact(Timeout = 30_000)]
    public async Task GetStateAsync_DelayNext_AnswersTheStoredValueAfterTheDelay()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetState("store", "k", Encoding.UTF8.GetBytes("\"v\""));
        sidecar.DelayNext("GetState", Delay);
        var watch = Stopwatch.StartNew();

        var value = await dapr.GetStateAsync<string>("store", "k", cancellationToken: Sdk.Ct);

        Assert.True(watch.Elapsed >= AtLeast, $"answered after {watch.Elapsed}, before the {Delay} delay");
        Assert.Equal("v", value);
        Assert.Equal(StatusCode.OK, Assert.Single(sidecar.Calls).Outcome);
    }

    [Fact(Timeout = 30_000)]
    public async Task DelayNext_ThenClearFaults_NextCallIsNotDelayed()
    {
        // Were the delay still queued, the call would wait a minute and the test's timeout would fail it.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);
        sidecar.DelayNext(Stable, Forever);

        sidecar.ClearFaults();
        await stub.BulkPublishAsync(Stable, Request("dbt-runs", null, Entry("e-1", "{}")));

        Assert.Single(sidecar.Published);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task DelayNext_ZeroOrNegativeDelay_ThrowsAndQueuesNothing(int milliseconds)
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var stub = new DaprStub(sidecar);

        Assert.Throws<ArgumentOutOfRangeException>(() => sidecar.DelayNext(Stable, TimeSpan.FromMilliseconds(milliseconds)));

        // A queued fault without a delay would fail the call instead of serving it.
        await stub.BulkPublishAsync(Stable, Request("dbt-runs", null, Entry("e-1", "{}")));
        Assert.Single(sidecar.Published);
    }

    [Fact]
    public async Task DelayNext_ZeroTimes_Throws()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);

        Assert.Throws<ArgumentOutOfRangeException>(() => sidecar.DelayNext(Stable, Delay, times: 0));
    }

    [Theory]
    [InlineData("BulkPublishEvents")]
    [InlineData("bulkPublishEvent")]
    [InlineData("PublishBulkEvent")]
    public async Task DelayNext_UnknownMethodName_ThrowsArgumentException(string method)
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);

        Assert.Throws<ArgumentException>(() => sidecar.DelayNext(method, Delay));
    }

    [Fact]
    public async Task Faults_BulkPublishMethodNames_AreAccepted()
    {
        // A bulk method missing from the known names would make every fault on it throw here.
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);

        sidecar.FailNext(Stable, StatusCode.Internal);
        sidecar.FailAlways(Alpha1, StatusCode.Internal);
        sidecar.HangNext(Alpha1);
        sidecar.DelayNext(Stable, Delay);
        sidecar.ClearFaults();
    }

    [Fact(Timeout = 30_000)]
    public async Task SaveState_HoldNext_ServedNormallyOnlyOnceReleasedWhileOtherCallsPass()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sidecar.HoldNext("SaveState", release.Task);

        var held = dapr.SaveStateAsync("store", "k", "held", cancellationToken: Sdk.Ct);
        await Sdk.EventuallyAsync(() => sidecar.Calls.Any(c => c.Method == "SaveState"), "the held save arrived");
        await dapr.SaveStateAsync("store", "other", "passes", cancellationToken: Sdk.Ct);
        Assert.False(held.IsCompleted);
        Assert.False(sidecar.GetStateSnapshot("store").ContainsKey("k"));
        release.SetResult();
        await held;

        Assert.Equal(["k", "other"], sidecar.GetStateSnapshot("store").Keys.Order());
    }
}
