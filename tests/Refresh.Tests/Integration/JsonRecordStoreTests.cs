using System.Text.Json.Serialization.Metadata;
using Dapr;
using Microsoft.Extensions.DependencyInjection;
using ModeRefresh.Refresh.State;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// The one JSON record store every state user sits on, against the stand-in sidecar (Redis flavour): what its callers
/// rely on for ETags, first writes, TTL and unreadable records.
/// </summary>
public sealed class JsonRecordStoreTests
{
    private static JsonTypeInfo<RunRecord> Type => IdempotencyJsonContext.Default.RunRecord;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RunRecord Record(string status) => new() { Status = status, ClaimId = "c1" };

    [Fact]
    public async Task ReadAsync_UnreadableRecord_CallersFallbackGuardedByItsETag()
    {
        await using var app = await RefreshApp.StartAsync();
        var store = app.Host.Services.GetRequiredService<JsonRecordStore>();
        app.Sidecar.SetState("statestore", "k", "not json"u8.ToArray());
        var fallback = Record("fallback");

        var (read, etag) = await store.ReadAsync("k", Type, _ => fallback, Ct);

        Assert.Same(fallback, read);
        Assert.NotEqual(string.Empty, etag);
        Assert.True(await store.TryReplaceAsync("k", Record(RunRecord.Done), Type, etag, ttl: null, Ct));
        Assert.False(await store.TryReplaceAsync("k", Record(RunRecord.Failed), Type, etag, ttl: null, Ct)); // that ETag is gone
        Assert.Equal(RunRecord.Done, (await store.ReadAsync("k", Type, _ => null, Ct)).Record!.Status);
    }

    [Fact]
    public async Task TryCreateAsync_KeyAlreadyWritten_FalseAndTheFirstRecordKept()
    {
        await using var app = await RefreshApp.StartAsync();
        var store = app.Host.Services.GetRequiredService<JsonRecordStore>();

        Assert.True(await store.TryCreateAsync("k", Record(RunRecord.Started), Type, ttl: null, Ct));
        // Redis answers a lost first write like an outage ("failed to set key"); reading the key tells them apart.
        Assert.False(await store.TryCreateAsync("k", Record(RunRecord.Done), Type, ttl: null, Ct));
        Assert.Equal(RunRecord.Started, (await store.ReadAsync("k", Type, _ => null, Ct)).Record!.Status);
    }

    [Fact]
    public async Task TryCreateAsync_StoreFailsAndNothingIsThere_ThrowsDaprException()
    {
        await using var app = await RefreshApp.StartAsync();
        var store = app.Host.Services.GetRequiredService<JsonRecordStore>();
        app.Sidecar.FailNext("SaveState", Grpc.Core.StatusCode.Internal);

        await Assert.ThrowsAsync<DaprException>(() => store.TryCreateAsync("k", Record(RunRecord.Started), Type, ttl: null, Ct));
        Assert.Null((await store.ReadAsync("k", Type, _ => null, Ct)).Record);
    }

    [Fact]
    public async Task SaveAsync_Ttl_SentAsTtlInSecondsOnlyWhenGiven()
    {
        await using var app = await RefreshApp.StartAsync();
        var store = app.Host.Services.GetRequiredService<JsonRecordStore>();

        await store.SaveAsync("with", Record(RunRecord.Done), Type, TimeSpan.FromMinutes(90), Ct);
        await store.SaveBytesAsync("without", "x"u8.ToArray(), ttl: null, Ct);

        var state = app.Sidecar.GetStateSnapshot("statestore");
        Assert.Equal("5400", state["with"].Metadata["ttlInSeconds"]);
        Assert.False(state["without"].Metadata.ContainsKey("ttlInSeconds"));
    }
}
