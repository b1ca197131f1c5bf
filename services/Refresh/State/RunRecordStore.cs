using Dapr;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.State;

/// <summary>
/// Run records on the <see cref="JsonRecordStore"/>: every save carries <c>Idempotency:RecordTtl</c>, and a record
/// that cannot be read counts as an expired claim. One sidecar call per method (retries are the caller's).
/// Failures surface as <see cref="DaprException"/>; an ETag that no longer matches is an answer (false), not a failure.
/// </summary>
public sealed class RunRecordStore(JsonRecordStore records, IOptions<IdempotencyOptions> options)
{
    // Unreadable: treat like an expired claim so the run is not lost; the ETag still guards the takeover.
    private static readonly RunRecord Unreadable = new() { Status = RunRecord.Started, ClaimId = string.Empty, StartedAt = DateTimeOffset.MinValue };

    private static System.Text.Json.Serialization.Metadata.JsonTypeInfo<RunRecord> Type => IdempotencyJsonContext.Default.RunRecord;

    private TimeSpan Ttl => options.Value.RecordTtl;

    /// <summary>The record and its ETag; (null, "") when there is none.</summary>
    public Task<(RunRecord? Record, string ETag)> ReadAsync(string key, CancellationToken ct) =>
        records.ReadAsync(key, Type, _ => Unreadable, ct);

    /// <summary>Writes the record only if the key does not exist; false when someone else's record is there.</summary>
    /// <exception cref="DaprException">The write failed and nothing is there: the store could not be used.</exception>
    public Task<bool> TryCreateAsync(string key, RunRecord record, CancellationToken ct) =>
        records.TryCreateAsync(key, record, Type, Ttl, ct);

    /// <summary>Replaces the record if it still has <paramref name="etag"/>; false otherwise.</summary>
    public Task<bool> TryReplaceAsync(string key, RunRecord record, string etag, CancellationToken ct) =>
        records.TryReplaceAsync(key, record, Type, etag, Ttl, ct);

    /// <summary>Deletes the record if it still has <paramref name="etag"/>; false otherwise.</summary>
    public Task<bool> TryDeleteAsync(string key, string etag, CancellationToken ct) =>
        records.TryDeleteAsync(key, etag, ct);
}
