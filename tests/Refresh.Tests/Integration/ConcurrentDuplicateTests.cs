using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// dbt's retries of one webhook arrive together, and so do daprd's deliveries of them: the same dbt run several times
/// at once. Driven through stand-in sidecars that answer as Redis and as PostgreSQL v2 do (a lost first write is a
/// plain error on both, which daprd answers Internal) and apply daprd's retry and circuit breaker as
/// components/resiliency.yaml configures them for the state store.
/// </summary>
public sealed class ConcurrentDuplicateTests
{
    private const string Store = "statestore";

    public static TheoryData<StandInStateFlavour> Flavours() => new(StandInStateFlavour.Redis, StandInStateFlavour.PostgreSql);

    private static IReadOnlyDictionary<string, string?> ThreeReports() => RefreshApp.Merge(
        RefreshApp.Report(0, "r1", "123"), RefreshApp.Report(1, "r2", "123"), RefreshApp.Report(2, "r3", "*"));

    private static StandInSidecarOptions Sidecar(StandInStateStore store, string appId) => new()
    {
        AppId = appId,
        StateStore = store,
        StateResiliency = ResiliencyFile.StateStoreOutbound(),
    };

    [Theory]
    [MemberData(nameof(Flavours))]
    public async Task Deliver_SixCopiesAtOnce_OneModeRunPerReportAndNoStateCallFails(StandInStateFlavour flavour)
    {
        await using var app = await RefreshApp.StartAsync(ThreeReports(), Sidecar(new StandInStateStore(flavour), "refresh"));
        // Slow answers keep the first claims in flight while the other copies arrive.
        app.Mode.Enqueue(FakeModeResponse.Slow(TimeSpan.FromMilliseconds(300)), times: 3);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => app.DeliverAsync(DbtEvents.Completed(), $"ce-{i}")));
        var redelivered = await app.DeliverAsync(DbtEvents.Completed(), "ce-redelivered");

        Assert.All(answers, a => Assert.Contains(a, new[] { "SUCCESS", "RETRY" }));
        Assert.Equal("SUCCESS", redelivered);
        Assert.Equal(3, app.Mode.Runs.Count);
        Assert.Equal(["r1", "r2", "r3"], app.Mode.Runs.Select(r => r.Report).Order());
        // The copies took turns at their claims: the store never had a race to answer, so there is nothing for
        // daprd to retry or for any breaker to count, whatever the resiliency file says.
        Assert.All(app.Sidecar.StateAttempts, a => Assert.Equal(StandInStateOutcome.Ok, a.Outcome));
        Assert.All(app.Sidecar.Calls.Where(c => c.Method.Contains("State", StringComparison.Ordinal)),
            c => Assert.Equal(Grpc.Core.StatusCode.OK, c.Outcome));
        Assert.Equal((StandInBreakerState.Closed, 0), app.Sidecar.StateBreaker(Store));
    }

    [Theory]
    [MemberData(nameof(Flavours))]
    public async Task Deliver_CopiesToTwoReplicasThatRace_OneModeRunAndTheLostRaceIsOneFailedWriteNeitherRetriedNorCounted(
        StandInStateFlavour flavour)
    {
        var store = new StandInStateStore(flavour);
        await using var mode = await FakeModeServer.StartAsync(RefreshApp.Token, RefreshApp.Secret, TestContext.Current.CancellationToken);
        var routes = RefreshApp.Report(0, "r1", "123");
        await using var one = await RefreshApp.StartAsync(routes, Sidecar(store, "refresh-1"), mode);
        await using var two = await RefreshApp.StartAsync(routes, Sidecar(store, "refresh-2"), mode);
        // Replica one reads "no record" and its claim write is held; replica two reads, claims and runs meanwhile.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        one.Sidecar.HoldNext("SaveState", release.Task);
        var first = one.DeliverAsync(DbtEvents.Completed(), "ce-1");
        await Eventually.UntilAsync(() => one.Sidecar.Calls.Any(c => c.Method == "SaveState"), "replica one's claim write",
            TestContext.Current.CancellationToken);

        var second = await two.DeliverAsync(DbtEvents.Completed(), "ce-2");
        release.SetResult();
        var lost = await first;

        Assert.Equal("SUCCESS", second);
        Assert.Contains(lost, new[] { "SUCCESS", "RETRY" }); // "already run" or "being run": never an error
        Assert.Single(mode.Runs);
        // The lost race happened, and it cost one failed write: daprd did not retry it (the file gives the state store
        // no retry policy) and no breaker counted it (none either), and Refresh read the winner's record instead.
        // (The run history's own writes race between the replicas too, under their ETags: not the claim's, left out.)
        var claimWrites = one.Sidecar.StateAttempts.Where(a => a.Method == "SaveState" && !a.Keys.Any(k => k.Contains("history:", StringComparison.Ordinal))).ToList();
        Assert.Equal([(1, StandInStateOutcome.Failed)], claimWrites.Select(a => (a.Attempt, a.Outcome)));
        Assert.Equal(Grpc.Core.StatusCode.Internal, one.Sidecar.Calls.Single(c => c.Method == "SaveState"
            && !((Dapr.Client.Autogen.Grpc.v1.SaveStateRequest)c.Request).States.Any(s => s.Key.StartsWith("history:", StringComparison.Ordinal))).Outcome);
        Assert.Equal((StandInBreakerState.Closed, 0), one.Sidecar.StateBreaker(Store));
        Assert.Equal("SUCCESS", await one.DeliverAsync(DbtEvents.Completed(), "ce-1"));
        Assert.Single(mode.Runs);
    }
}
