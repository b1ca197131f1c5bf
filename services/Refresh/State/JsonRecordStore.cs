using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.State;

/// <summary>
/// The one way Refresh keeps JSON records in <c>Dapr:StateStore</c>: read with the ETag, write on an ETag or as the
/// first write, delete on an ETag, expire by <c>ttlInSeconds</c>, and read an unreadable record as the caller's
/// fallback instead of failing for good. One sidecar call per method under <c>Dapr:CallTimeout</c>: what is worth
/// retrying is retried by the caller through the <see cref="StateStoreResilience"/> pipelines, because only the
/// caller knows whether a call may be repeated (a lost race is an answer, an outage is not).
/// </summary>
/// <remarks>
/// Every write that checks something uses first-write concurrency: with an ETag the ETag is checked (under last-write
/// Redis ignores it), without one the key must not exist yet. Failures surface as <see cref="DaprException"/>; an ETag
/// that no longer matches, or a key someone else created first, is an answer (false), not a failure.
/// </remarks>
public sealed class JsonRecordStore(DaprClient dapr, IOptions<DaprOptions> components)
{
    private static readonly StateOptions CheckETag = new() { Concurrency = ConcurrencyMode.FirstWrite };

    private DaprOptions Sidecar => components.Value;

    private string Store => components.Value.StateStore;

    /// <summary>The record and its ETag; (null, "") when there is none, (<paramref name="unreadable"/>, its ETag) when it is not <typeparamref name="T"/>.</summary>
    /// <exception cref="DaprException">The state store could not be read.</exception>
    public async Task<(T? Record, string ETag)> ReadAsync<T>(string key, JsonTypeInfo<T> type, Func<JsonException, T?> unreadable, CancellationToken ct)
        where T : class
    {
        var (bytes, etag) = await ReadBytesAsync(key, ct);
        if (bytes.IsEmpty)
        {
            return (null, etag);
        }

        try
        {
            return (JsonSerializer.Deserialize(bytes.Span, type), etag);
        }
        catch (JsonException ex)
        {
            // Never readable again as it is: the fallback lets the caller go on, and the ETag still guards what it writes over it.
            return (unreadable(ex), etag);
        }
    }

    /// <summary>The stored bytes and their ETag; (empty, "") when there is none.</summary>
    /// <exception cref="DaprException">The state store could not be read.</exception>
    public async Task<(ReadOnlyMemory<byte> Data, string ETag)> ReadBytesAsync(string key, CancellationToken ct)
    {
        var (bytes, etag) = await Sidecar.WithDeadline(t => dapr.GetByteStateAndETagAsync(Store, key, cancellationToken: t), ct);
        return (bytes, etag ?? string.Empty);
    }

    /// <summary>Writes the record only if the key does not exist; false when someone else's record is there.</summary>
    /// <exception cref="DaprException">The write failed and nothing is there: the store could not be used.</exception>
    public Task<bool> TryCreateAsync<T>(string key, T record, JsonTypeInfo<T> type, TimeSpan? ttl, CancellationToken ct) =>
        TrySaveBytesAsync(key, Serialize(record, type), string.Empty, ttl, ct);

    /// <summary>Replaces the record if it still has <paramref name="etag"/>; false otherwise.</summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public Task<bool> TryReplaceAsync<T>(string key, T record, JsonTypeInfo<T> type, string etag, TimeSpan? ttl, CancellationToken ct) =>
        TrySaveBytesAsync(key, Serialize(record, type), etag, ttl, ct);

    /// <summary>
    /// Replaces the record read with <paramref name="etag"/>, or creates it when none was there (an empty ETag);
    /// false when another writer came first.
    /// </summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public Task<bool> TrySaveAsync<T>(string key, T record, JsonTypeInfo<T> type, string etag, TimeSpan? ttl, CancellationToken ct) =>
        TrySaveBytesAsync(key, Serialize(record, type), etag, ttl, ct);

    /// <summary>
    /// <see cref="TrySaveAsync{T}"/> for data already serialised: on <paramref name="etag"/>, or as the first write
    /// when it is empty; false when another writer came first.
    /// </summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public async Task<bool> TrySaveBytesAsync(string key, ReadOnlyMemory<byte> data, string etag, TimeSpan? ttl, CancellationToken ct)
    {
        if (etag.Length > 0)
        {
            return await Sidecar.WithDeadline(t => dapr.TrySaveByteStateAsync(Store, key, data, etag, CheckETag, Ttl(ttl), t), ct);
        }

        try
        {
            await Sidecar.WithDeadline(t => dapr.SaveByteStateAsync(Store, key, data, CheckETag, Ttl(ttl), t), ct);
            return true;
        }
        catch (DaprException)
        {
            // A lost first write is no ETag error on the real stores: Redis answers "failed to set key" and
            // PostgreSQL v2 "no item was updated" (components-contrib v1.18.0 state/redis/redis.go,
            // state/postgresql/v2/postgresql.go), which daprd passes on as Internal, like an outage. What is there now
            // tells them apart.
            var (now, _) = await ReadBytesAsync(key, ct);
            if (now.IsEmpty)
            {
                throw;
            }

            return false;
        }
    }

    /// <summary>Writes the record whatever is there (last write wins): for records every writer would write alike.</summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public Task SaveAsync<T>(string key, T record, JsonTypeInfo<T> type, TimeSpan? ttl, CancellationToken ct) =>
        SaveBytesAsync(key, Serialize(record, type), ttl, ct);

    /// <summary>Writes bytes whatever is there (last write wins).</summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public Task SaveBytesAsync(string key, ReadOnlyMemory<byte> data, TimeSpan? ttl, CancellationToken ct) =>
        Sidecar.WithDeadline(t => dapr.SaveByteStateAsync(Store, key, data, metadata: Ttl(ttl), cancellationToken: t), ct);

    /// <summary>Deletes the record if it still has <paramref name="etag"/>; false otherwise.</summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public Task<bool> TryDeleteAsync(string key, string etag, CancellationToken ct) =>
        Sidecar.WithDeadline(t => dapr.TryDeleteStateAsync(Store, key, etag, CheckETag, cancellationToken: t), ct);

    /// <summary>Deletes the key whatever is there (nothing there is no error).</summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public Task DeleteAsync(string key, CancellationToken ct) =>
        Sidecar.WithDeadline(t => dapr.DeleteStateAsync(Store, key, cancellationToken: t), ct);

    /// <summary>Dapr's per-item expiry (<c>ttlInSeconds</c>, whole seconds); none: kept until deleted.</summary>
    private static Dictionary<string, string>? Ttl(TimeSpan? ttl) => ttl is { } value
        ? new Dictionary<string, string> { ["ttlInSeconds"] = ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture) }
        : null;

    private static byte[] Serialize<T>(T record, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(record, type);
}
