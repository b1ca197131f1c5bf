using System.Text;
using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Time.Testing;

namespace ModeRefresh.TestSupport.Tests;

public sealed class StateTests
{
    private const string Store = "statestore";
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    [Fact]
    public async Task GetStateAndETagAsync_AfterSaves_ReturnsLatestValueWithIncreasingEtag()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);

        await dapr.SaveStateAsync(Store, "run-1", "queued", cancellationToken: Sdk.Ct);
        var (first, etag1) = await dapr.GetStateAndETagAsync<string>(Store, "run-1", cancellationToken: Sdk.Ct);
        await dapr.SaveStateAsync(Store, "run-1", "done", cancellationToken: Sdk.Ct);
        var (second, etag2) = await dapr.GetStateAndETagAsync<string>(Store, "run-1", cancellationToken: Sdk.Ct);

        Assert.Equal(("queued", "done"), (first, second));
        Assert.True(long.Parse(etag2, System.Globalization.CultureInfo.InvariantCulture)
            > long.Parse(etag1, System.Globalization.CultureInfo.InvariantCulture));
        var stored = Assert.Single(sidecar.GetStateSnapshot(Store));
        Assert.Equal(("run-1", "\"done\"", etag2), (stored.Key, Encoding.UTF8.GetString(stored.Value.Value), stored.Value.ETag));
    }

    [Fact]
    public async Task GetStateAndETagAsync_MissingKey_ReturnsDefaultAndEmptyEtag()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);

        var (value, etag) = await dapr.GetStateAndETagAsync<string>(Store, "nope", cancellationToken: Sdk.Ct);

        Assert.Null(value);
        Assert.Equal("", etag);
    }

    [Fact]
    public async Task TrySaveStateAsync_CurrentEtag_SavesAndStaleEtag_ReturnsFalse()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetState(Store, "k", Encoding.UTF8.GetBytes("\"v0\""));
        var (_, etag) = await dapr.GetStateAndETagAsync<string>(Store, "k", cancellationToken: Sdk.Ct);

        Assert.True(await dapr.TrySaveStateAsync(Store, "k", "v1", etag, cancellationToken: Sdk.Ct));
        Assert.False(await dapr.TrySaveStateAsync(Store, "k", "v2", etag, cancellationToken: Sdk.Ct));

        Assert.Equal("v1", await dapr.GetStateAsync<string>(Store, "k", cancellationToken: Sdk.Ct));
    }

    [Fact]
    public async Task SaveStateAsync_TtlMetadata_RecordedAndExpiresOnTheInjectedClock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var sidecar = await StandInSidecar.StartAsync(clock, Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);

        await dapr.SaveStateAsync(Store, "k", "v", metadata: new Dictionary<string, string> { ["ttlInSeconds"] = "60" }, cancellationToken: Sdk.Ct);
        Assert.Equal("60", sidecar.GetStateSnapshot(Store)["k"].Metadata["ttlInSeconds"]);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("v", await dapr.GetStateAsync<string>(Store, "k", cancellationToken: Sdk.Ct));
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(await dapr.GetStateAsync<string>(Store, "k", cancellationToken: Sdk.Ct));
        Assert.Empty(sidecar.GetStateSnapshot(Store));
    }

    [Fact]
    public async Task DeleteStateAsync_ExistingAndMissingKeys_Succeed()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "v", cancellationToken: Sdk.Ct);

        await dapr.DeleteStateAsync(Store, "k", cancellationToken: Sdk.Ct);
        await dapr.DeleteStateAsync(Store, "never-there", cancellationToken: Sdk.Ct);

        Assert.Empty(sidecar.GetStateSnapshot(Store));
    }

    [Fact]
    public async Task TryDeleteStateAsync_StaleEtag_ReturnsFalseAndKeeps()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "k", "v1", cancellationToken: Sdk.Ct);
        var (_, stale) = await dapr.GetStateAndETagAsync<string>(Store, "k", cancellationToken: Sdk.Ct);
        await dapr.SaveStateAsync(Store, "k", "v2", cancellationToken: Sdk.Ct);
        var (_, current) = await dapr.GetStateAndETagAsync<string>(Store, "k", cancellationToken: Sdk.Ct);

        Assert.False(await dapr.TryDeleteStateAsync(Store, "k", stale, cancellationToken: Sdk.Ct));
        Assert.Single(sidecar.GetStateSnapshot(Store));
        Assert.True(await dapr.TryDeleteStateAsync(Store, "k", current, cancellationToken: Sdk.Ct));
        Assert.Empty(sidecar.GetStateSnapshot(Store));
    }

    [Fact]
    public async Task ExecuteStateTransactionAsync_AllValid_AppliesUpsertsAndDeletes()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetState(Store, "old", [1]);

        await dapr.ExecuteStateTransactionAsync(Store,
        [
            new StateTransactionRequest("a", [10], StateOperationType.Upsert),
            new StateTransactionRequest("b", [20], StateOperationType.Upsert),
            new StateTransactionRequest("old", null, StateOperationType.Delete),
        ], cancellationToken: Sdk.Ct);

        var state = sidecar.GetStateSnapshot(Store);
        Assert.Equal(["a", "b"], state.Keys.Order());
        Assert.Equal([10], state["a"].Value);
        Assert.Equal([20], state["b"].Value);
    }

    [Fact]
    public async Task GetBulkStateAsync_MixedKeys_ReturnsValuesAndBlanksForMissing()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        await dapr.SaveStateAsync(Store, "a", "x", cancellationToken: Sdk.Ct);

        var items = await dapr.GetBulkStateAsync(Store, ["a", "missing"], parallelism: 1, cancellationToken: Sdk.Ct);

        var byKey = items.ToDictionary(i => i.Key);
        Assert.Equal("\"x\"", byKey["a"].Value);
        Assert.NotEmpty(byKey["a"].ETag);
        Assert.Equal("", byKey["missing"].Value);
    }
}
