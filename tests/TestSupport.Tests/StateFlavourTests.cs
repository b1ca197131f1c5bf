using System.Text;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>
/// What Redis and PostgreSQL v2 answer where they differ, and where both differ from what one would hope
/// (components-contrib v1.18.0 state/redis/redis.go, state/postgresql/v2/postgresql.go), as daprd passes it on.
/// </summary>
public sealed class StateFlavourTests
{
    private const string Store = "statestore";
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    public static TheoryData<StandInStateFlavour> Flavours() => new(StandInStateFlavour.Redis, StandInStateFlavour.PostgreSql);

    [Theory]
    [InlineData(StandInStateFlavour.Redis, "failed to set key claim")]
    [InlineData(StandInStateFlavour.PostgreSql, "no item was updated")]
    public async Task SaveState_FirstWriteWithoutETagOnExistingKey_InternalNotAnETagError(StandInStateFlavour flavour, string storeError)
    {
        await using var sidecar = await StartAsync(flavour);
        using var dapr = Sdk.ClientFor(sidecar);
        Assert.True(await dapr.TrySaveStateAsync(Store, "claim", "me", "", FirstWrite, cancellationToken: Sdk.Ct));

        // The SDK's TrySave answers false only for Aborted (an ETag mismatch); a lost first write is not one.
        var ex = await Assert.ThrowsAsync<DaprException>(() => dapr.TrySaveStateAsync(Store, "claim", "you", "", FirstWrite, cancellationToken: Sdk.Ct));

        var rpc = Assert.IsType<RpcException>(ex.InnerException);
        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.Equal($"failed saving state in state store {Store}: ", rpc.Status.Detail[..($"failed saving state in state store {Store}: ".Length)]);
        Assert.Contains(storeError, rpc.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("me", await dapr.GetStateAsync<string>(Store, "claim", cancellationToken: Sdk.Ct));
        Assert.Equal([StandInStateOutcome.Ok, StandInStateOutcome.Failed, StandInStateOutcome.Ok], sidecar.StateAttempts.Select(a => a.Outcome));
    }

    [Theory]
    [InlineData(StandInStateFlavour.Redis, true)]
    [InlineData(StandInStateFlavour.PostgreSql, false)]
    public async Task TrySaveState_ETagOnMissingKey_RedisCreatesItPostgreSqlRefuses(StandInStateFlavour flavour, bool created)
    {
        await using var sidecar = await StartAsync(flavour);
        using var dapr = Sdk.ClientFor(sidecar);
        var etag = flavour == StandInStateFlavour.Redis ? "3" : Guid.NewGuid().ToString();

        var saved = await dapr.TrySaveStateAsync(Store, "gone", "v", etag, FirstWrite, cancellationToken: Sdk.Ct);

        Assert.Equal(created, saved);
        Assert.Equal(created ? "v" : null, await dapr.GetStateAsync<string>(Store, "gone", cancellationToken: Sdk.Ct));
    }

    [Theory]
    [MemberData(nameof(Flavours))]
    public async Task TrySaveState_StaleETag_AbortedSoTrySaveAnswersFalse(StandInStateFlavour flavour)
    {
        await using var sidecar = await StartAsync(flavour);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "v1", FirstWrite, cancellationToken: Sdk.Ct);
        var (_, stale) = await dapr.GetStateAndETagAsync<string>(Store, "k", cancellationToken: Sdk.Ct);
        Assert.True(await dapr.TrySaveStateAsync(Store, "k", "v2", stale, FirstWrite, cancellationToken: Sdk.Ct));

        Assert.False(await dapr.TrySaveStateAsync(Store, "k", "v3", stale, FirstWrite, cancellationToken: Sdk.Ct));
        Assert.Equal("v2", await dapr.GetStateAsync<string>(Store, "k", cancellationToken: Sdk.Ct));
        Assert.Equal(StatusCode.Aborted, sidecar.Calls[^2].Outcome);
    }

    [Fact]
    public async Task ETags_Redis_AreAPerKeyVersionThatStartsAgainAfterADelete()
    {
        await using var sidecar = await StartAsync(StandInStateFlavour.Redis);
        using var dapr = Sdk.ClientFor(sidecar);

        await dapr.SaveStateAsync(Store, "a", "1", cancellationToken: Sdk.Ct);
        await dapr.SaveStateAsync(Store, "a", "2", cancellationToken: Sdk.Ct);
        await dapr.SaveStateAsync(Store, "b", "1", cancellationToken: Sdk.Ct);
        var a2 = (await dapr.GetStateAndETagAsync<string>(Store, "a", cancellationToken: Sdk.Ct)).etag;
        var b1 = (await dapr.GetStateAndETagAsync<string>(Store, "b", cancellationToken: Sdk.Ct)).etag;
        await dapr.DeleteStateAsync(Store, "a", cancellationToken: Sdk.Ct);
        await dapr.SaveStateAsync(Store, "a", "again", cancellationToken: Sdk.Ct);
        var again = (await dapr.GetStateAndETagAsync<string>(Store, "a", cancellationToken: Sdk.Ct)).etag;

        Assert.Equal(("2", "1", "1"), (a2, b1, again));
    }

    [Fact]
    public async Task ETags_PostgreSql_AreFreshUuidsAndAnythingElseIsAMismatch()
    {
        await using var sidecar = await StartAsync(StandInStateFlavour.PostgreSql);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "v", cancellationToken: Sdk.Ct);
        var (_, first) = await dapr.GetStateAndETagAsync<string>(Store, "k", cancellationToken: Sdk.Ct);
        await dapr.SaveStateAsync(Store, "k", "v", cancellationToken: Sdk.Ct);
        var (_, second) = await dapr.GetStateAndETagAsync<string>(Store, "k", cancellationToken: Sdk.Ct);

        Assert.True(Guid.TryParse(first, out _));
        Assert.NotEqual(first, second);
        Assert.False(await dapr.TrySaveStateAsync(Store, "k", "x", "1", FirstWrite, cancellationToken: Sdk.Ct));
        Assert.False(await dapr.TryDeleteStateAsync(Store, "k", "1", cancellationToken: Sdk.Ct));
        Assert.False(await dapr.TryDeleteStateAsync(Store, "missing", Guid.NewGuid().ToString(), cancellationToken: Sdk.Ct));
    }

    [Fact]
    public async Task TryDeleteState_RedisMissingKeyWithAnyETag_Succeeds()
    {
        await using var sidecar = await StartAsync(StandInStateFlavour.Redis);
        using var dapr = Sdk.ClientFor(sidecar);

        Assert.True(await dapr.TryDeleteStateAsync(Store, "missing", "7", cancellationToken: Sdk.Ct));
    }

    [Fact]
    public async Task SaveState_RedisKeyOnceWrittenFirstWrite_RefusesALastWriteSaveWithoutETag()
    {
        await using var sidecar = await StartAsync(StandInStateFlavour.Redis);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "claimed", FirstWrite, cancellationToken: Sdk.Ct);
        await dapr.SaveStateAsync(Store, "plain", "v1", cancellationToken: Sdk.Ct);

        // setDefaultQuery keeps the "first-write" hash field: from then on only the current version may write.
        var ex = await Assert.ThrowsAsync<DaprException>(() => dapr.SaveStateAsync(Store, "k", "overwrite", cancellationToken: Sdk.Ct));
        await dapr.SaveStateAsync(Store, "plain", "v2", cancellationToken: Sdk.Ct);

        Assert.Equal(StatusCode.Internal, Sdk.StatusOf(ex));
        Assert.Equal("v2", await dapr.GetStateAsync<string>(Store, "plain", cancellationToken: Sdk.Ct));
    }

    [Theory]
    [InlineData(StandInStateFlavour.Redis, true)]
    [InlineData(StandInStateFlavour.PostgreSql, false)]
    public async Task SaveState_WithoutTtlAfterATtl_RedisKeepsTheExpiryPostgreSqlClearsIt(StandInStateFlavour flavour, bool expires)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var sidecar = await StandInSidecar.StartAsync(
            new StandInSidecarOptions { TimeProvider = clock, StateStore = new StandInStateStore(flavour, clock) }, Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);

        await dapr.SaveStateAsync(Store, "k", "v1", metadata: new Dictionary<string, string> { ["ttlInSeconds"] = "60" }, cancellationToken: Sdk.Ct);
        await dapr.SaveStateAsync(Store, "k", "v2", cancellationToken: Sdk.Ct);
        clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(expires ? null : "v2", await dapr.GetStateAsync<string>(Store, "k", cancellationToken: Sdk.Ct));
    }

    [Theory]
    [InlineData(StandInStateFlavour.Redis, new[] { "fresh", "guarded" })]
    [InlineData(StandInStateFlavour.PostgreSql, new[] { "guarded" })]
    public async Task ExecuteStateTransaction_OneStaleETag_InternalAndRedisKeepsTheOtherOperations(StandInStateFlavour flavour, string[] keys)
    {
        await using var sidecar = await StartAsync(flavour);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetState(Store, "guarded", [1]);
        var before = sidecar.GetStateSnapshot(Store)["guarded"];
        var stale = flavour == StandInStateFlavour.Redis ? "999999" : Guid.NewGuid().ToString();

        var ex = await Assert.ThrowsAsync<DaprException>(() => dapr.ExecuteStateTransactionAsync(Store,
        [
            new StateTransactionRequest("fresh", [2], StateOperationType.Upsert),
            new StateTransactionRequest("guarded", [3], StateOperationType.Upsert, etag: stale),
        ], cancellationToken: Sdk.Ct));

        Assert.Equal(StatusCode.Internal, Sdk.StatusOf(ex));
        var after = sidecar.GetStateSnapshot(Store);
        Assert.Equal(keys, after.Keys.Order());
        Assert.Equal((before.ETag, (byte)1), (after["guarded"].ETag, after["guarded"].Value[0]));
    }

    [Fact]
    public async Task SaveState_OverDaprdsMaxBodySize_ResourceExhaustedAndNothingSaved()
    {
        await using var sidecar = await StartAsync(StandInStateFlavour.Redis);
        using var dapr = Sdk.ClientFor(sidecar);

        var ex = await Assert.ThrowsAsync<DaprException>(() =>
            dapr.SaveByteStateAsync(Store, "big", new byte[StandInSidecar.MaxBodyBytes], cancellationToken: Sdk.Ct));
        await dapr.SaveByteStateAsync(Store, "fits", new byte[StandInSidecar.MaxBodyBytes - 1024], cancellationToken: Sdk.Ct);

        Assert.Equal(StatusCode.ResourceExhausted, Sdk.StatusOf(ex));
        Assert.Equal(["fits"], sidecar.GetStateSnapshot(Store).Keys);
    }

    [Fact]
    public async Task StateStore_SharedByTwoSidecars_EachSeesTheOthersWritesAndAttemptsAreTold()
    {
        var store = new StandInStateStore(StandInStateFlavour.Redis);
        await using var one = await StandInSidecar.StartAsync(new StandInSidecarOptions { AppId = "refresh-1", StateStore = store }, Sdk.Ct);
        await using var two = await StandInSidecar.StartAsync(new StandInSidecarOptions { AppId = "refresh-2", StateStore = store }, Sdk.Ct);
        using var first = Sdk.ClientFor(one);
        using var second = Sdk.ClientFor(two);

        await first.SaveByteStateAsync(Store, "k", Encoding.UTF8.GetBytes("from one"), FirstWrite, cancellationToken: Sdk.Ct);
        await Assert.ThrowsAsync<DaprException>(() =>
            second.SaveByteStateAsync(Store, "k", Encoding.UTF8.GetBytes("from two"), FirstWrite, cancellationToken: Sdk.Ct));

        Assert.Equal("from one", Encoding.UTF8.GetString((await second.GetByteStateAsync(Store, "k", cancellationToken: Sdk.Ct)).Span));
        Assert.Same(store, two.StateStore);
        Assert.Equal([("refresh-1", StandInStateOutcome.Ok)], one.StateAttempts.Select(a => (a.AppId, a.Outcome)));
        Assert.Equal([StandInStateOutcome.Failed, StandInStateOutcome.Ok], two.StateAttempts.Select(a => a.Outcome));
    }

    private static Task<StandInSidecar> StartAsync(StandInStateFlavour flavour) =>
        StandInSidecar.StartAsync(new StandInSidecarOptions { StateStore = new StandInStateStore(flavour) }, Sdk.Ct);
}
