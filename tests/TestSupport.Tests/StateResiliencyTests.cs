using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>
/// daprd's outbound resiliency policy for a state store, as modelled (dapr/dapr v1.18.0 pkg/components/state/bulk.go,
/// pkg/resiliency/policy.go, pkg/resiliency/breaker/circuitbreaker.go on sony/gobreaker v0.5.0).
/// </summary>
public sealed class StateResiliencyTests
{
    private const string Store = "statestore";
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    /// <summary>What this project's resiliency files said before: 3 retries, a breaker at 5 consecutive failures, 30 s open.</summary>
    private static readonly StandInStateResiliency RetryAndBreaker = new()
    {
        MaxRetries = 3,
        CircuitBreaker = new StandInCircuitBreaker { TripAtConsecutiveFailures = 5, Timeout = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(60) },
    };

    [Fact]
    public async Task SaveState_LostFirstWriteUnderARetryPolicy_RetriedEveryTimeThenInternal()
    {
        await using var sidecar = await StartAsync(RetryAndBreaker);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "claim", "winner", FirstWrite, cancellationToken: Sdk.Ct);

        var ex = await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync(Store, "claim", "loser", FirstWrite, cancellationToken: Sdk.Ct));

        Assert.Equal(StatusCode.Internal, Sdk.StatusOf(ex));
        Assert.Equal([(1, StandInStateOutcome.Ok), (1, StandInStateOutcome.Failed), (2, StandInStateOutcome.Failed),
                (3, StandInStateOutcome.Failed), (4, StandInStateOutcome.Failed)],
            sidecar.StateAttempts.Select(a => (a.Attempt, a.Outcome)));
    }

    [Fact]
    public async Task SaveState_StaleETagUnderARetryPolicy_NotRetried()
    {
        await using var sidecar = await StartAsync(RetryAndBreaker);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "v1", FirstWrite, cancellationToken: Sdk.Ct);

        Assert.False(await dapr.TrySaveStateAsync(Store, "k", "v2", "41", FirstWrite, cancellationToken: Sdk.Ct));

        Assert.Equal([StandInStateOutcome.Ok, StandInStateOutcome.ETagMismatch], sidecar.StateAttempts.Select(a => a.Outcome));
    }

    [Fact]
    public async Task DeleteState_StaleETagUnderARetryPolicy_RetriedUnlikeASave()
    {
        await using var sidecar = await StartAsync(RetryAndBreaker with { CircuitBreaker = null });
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "v1", cancellationToken: Sdk.Ct);

        Assert.False(await dapr.TryDeleteStateAsync(Store, "k", "41", cancellationToken: Sdk.Ct));

        Assert.Equal(4, sidecar.StateAttempts.Count(a => a.Method == "DeleteState" && a.Outcome == StandInStateOutcome.ETagMismatch));
    }

    [Fact]
    public async Task Breaker_TwoLostFirstWrites_OpensAndThenRefusesEveryStateCallWithoutAskingTheStore()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var sidecar = await StartAsync(RetryAndBreaker, clock);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "claim", "winner", FirstWrite, cancellationToken: Sdk.Ct);

        // One lost race is 4 failed attempts; the fifth failure, the next loser's first attempt, trips the breaker.
        await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync(Store, "claim", "loser-1", FirstWrite, cancellationToken: Sdk.Ct));
        Assert.Equal(StandInBreakerState.Closed, sidecar.StateBreaker(Store).State);
        await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync(Store, "claim", "loser-2", FirstWrite, cancellationToken: Sdk.Ct));
        var refused = await Assert.ThrowsAsync<DaprException>(() => dapr.GetStateAsync<string>(Store, "other", cancellationToken: Sdk.Ct));

        Assert.Equal((StandInBreakerState.Open, 1), sidecar.StateBreaker(Store));
        Assert.Equal(StatusCode.Internal, Sdk.StatusOf(refused));
        Assert.Contains("circuit breaker is open", Assert.IsType<RpcException>(refused.InnerException).Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StandInStateOutcome.BreakerOpen, sidecar.StateAttempts[^1].Outcome);
        Assert.Equal(2, sidecar.StateAttempts.Count(a => a.Outcome == StandInStateOutcome.BreakerOpen)); // loser-2's retry and the read

        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(StandInBreakerState.HalfOpen, sidecar.StateBreaker(Store).State);
        Assert.Equal("winner", await dapr.GetStateAsync<string>(Store, "claim", cancellationToken: Sdk.Ct));
        Assert.Equal(StandInBreakerState.Closed, sidecar.StateBreaker(Store).State);
    }

    [Fact]
    public async Task Breaker_ETagMismatchesInARow_CountAsFailuresAndOpenIt()
    {
        await using var sidecar = await StartAsync(new StandInStateResiliency
        {
            CircuitBreaker = new StandInCircuitBreaker { TripAtConsecutiveFailures = 3 },
        });
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "v1", FirstWrite, cancellationToken: Sdk.Ct);

        for (var i = 0; i < 3; i++)
        {
            Assert.False(await dapr.TrySaveStateAsync(Store, "k", "v2", "41", FirstWrite, cancellationToken: Sdk.Ct));
        }

        Assert.Equal((StandInBreakerState.Open, 1), sidecar.StateBreaker(Store));
    }

    [Fact]
    public async Task Breaker_ASuccessBetweenFailures_ResetsTheConsecutiveCount()
    {
        await using var sidecar = await StartAsync(new StandInStateResiliency
        {
            CircuitBreaker = new StandInCircuitBreaker { TripAtConsecutiveFailures = 3 },
        });
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "v1", FirstWrite, cancellationToken: Sdk.Ct);

        for (var i = 0; i < 4; i++)
        {
            Assert.False(await dapr.TrySaveStateAsync(Store, "k", "v2", "41", FirstWrite, cancellationToken: Sdk.Ct));
            await dapr.GetStateAsync<string>(Store, "k", cancellationToken: Sdk.Ct);
        }

        Assert.Equal((StandInBreakerState.Closed, 0), sidecar.StateBreaker(Store));
    }

    [Fact]
    public async Task NoPolicy_LostFirstWrite_OneAttemptAndNoBreaker()
    {
        await using var sidecar = await StartAsync(null);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "claim", "winner", FirstWrite, cancellationToken: Sdk.Ct);

        for (var i = 0; i < 10; i++)
        {
            await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync(Store, "claim", "loser", FirstWrite, cancellationToken: Sdk.Ct));
        }

        Assert.Equal(10, sidecar.StateAttempts.Count(a => a.Outcome == StandInStateOutcome.Failed));
        Assert.Equal((StandInBreakerState.Closed, 0), sidecar.StateBreaker(Store));
    }

    private static Task<StandInSidecar> StartAsync(StandInStateResiliency? policy, TimeProvider? clock = null) =>
        StandInSidecar.StartAsync(new StandInSidecarOptions { StateResiliency = policy, TimeProvider = clock ?? TimeProvider.System }, Sdk.Ct);
}
