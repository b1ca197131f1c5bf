using System.Globalization;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Sidecar;

namespace ModeRefresh.Refresh.State;

/// <summary>
/// Run records in <c>Dapr:StateStore</c> as JSON, one sidecar call per method (retries are the caller's). Every write
/// uses first-write concurrency, so that with an ETag the ETag is checked (under last-write Redis ignores it) and
/// without one the key must not exist yet. Every save carries <c>ttlInSeconds</c>. Failures surface as
/// <see cref="DaprException"/>; an ETag that no longer matches is an answer (false), not a failure.
/// </summary>
public sealed class RunRecordStore(DaprClient dapr, IOptions<DaprOptions> components, IOptions<IdempotencyOptions> options)
{
    private static readonly StateOptions CheckETag = new() { Concurrency = ConcurrencyMode.FirstWrite };

    private DaprOptions Sidecar => components.Value;

    private string Store => components.Value.StateStore;

    private Dictionary<string, string> Ttl => new()
    {
        ["ttlInSeconds"] = ((long)options.Value.RecordTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The record and its ETag; (null, "") when there is none.</summary>
    public async Task<(RunRecord? Record, string ETag)> ReadAsync(string key, CancellationToken ct)
    {
        var (bytes, etag) = await Sidecar.WithDeadline(t => dapr.GetByteStateAndETagAsync(Store, key, cancellationToken: t), ct);
        etag ??= string.Empty;
        if (bytes.IsEmpty)
        {
            return (null, etag);
        }

        try
        {
            return (JsonSerializer.Deserialize(bytes.Span, IdempotencyJsonContext.Default.RunRecord), etag);
        }
        catch (JsonException)
        {
            // Unreadable: treat like an expired claim so the run is not lost; the ETag still guards the takeover.
            return (new RunRecord { Status = RunRecord.Started, ClaimId = string.Empty, StartedAt = DateTimeOffset.MinValue }, etag);
        }
    }

    /// <summary>Writes the record only if the key does not exist; false when someone else's record is there.</summary>
    /// <exception cref="DaprException">The write failed and nothing is there: the store could not be used.</exception>
    public async Task<bool> TryCreateAsync(string key, RunRecord record, CancellationToken ct)
    {
        try
        {
            await Sidecar.WithDeadline(t => dapr.SaveByteStateAsync(Store, key, Serialize(record), CheckETag, Ttl, t), ct);
            return true;
        }
        catch (DaprException)
        {
            // A lost first write is no ETag error on the real stores: Redis answers "failed to set key" and
            // PostgreSQL v2 "no item was updated" (components-contrib v1.18.0 state/redis/redis.go,
            // state/postgresql/v2/postgresql.go), which daprd passes on as Internal, like an outage. What is there now
            // tells them apart.
            var (now, _) = await ReadAsync(key, ct);
            if (now is null)
            {
                throw;
            }

            return false;
        }
    }

    /// <summary>Replaces the record if it still has <paramref name="etag"/>; false otherwise.</summary>
    public Task<bool> TryReplaceAsync(string key, RunRecord record, string etag, CancellationToken ct) =>
        Sidecar.WithDeadline(t => dapr.TrySaveByteStateAsync(Store, key, Serialize(record), etag, CheckETag, Ttl, t), ct);

    /// <summary>Deletes the record if it still has <paramref name="etag"/>; false otherwise.</summary>
    public Task<bool> TryDeleteAsync(string key, string etag, CancellationToken ct) =>
        Sidecar.WithDeadline(t => dapr.TryDeleteStateAsync(Store, key, etag, CheckETag, cancellationToken: t), ct);

    private static byte[] Serialize(RunRecord record) =>
        JsonSerializer.SerializeToUtf8Bytes(record, IdempotencyJsonContext.Default.RunRecord);
}
