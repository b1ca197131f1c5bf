using System.Globalization;

namespace ModeRefresh.TestSupport;

/// <summary>Which components-contrib state store a <see cref="StandInStateStore"/> answers like.</summary>
public enum StandInStateFlavour
{
    /// <summary><c>state.redis</c> v1 (components-contrib v1.18.0 state/redis/redis.go), the store this project ships.</summary>
    Redis,

    /// <summary><c>state.postgresql</c> v2 (components-contrib v1.18.0 state/postgresql/v2/postgresql.go).</summary>
    PostgreSql,
}

/// <summary>
/// In-memory state, answering each write as the real store does — the store's own answer, before daprd maps it to a
/// gRPC status (that is <see cref="StandInStateApi"/>). Any store name is accepted (there is no component list); every
/// name gets its own key space with the same flavour. Several sidecars may share one instance (replicas of one app
/// on one Redis). What differs between the flavours, read in their source:
/// <list type="bullet">
/// <item>A lost first write (first-write concurrency, no ETag, the key exists) is a plain error on both ("failed to
/// set key", "no item was updated"), not an ETag error: daprd answers Internal and its retry policy retries it.</item>
/// <item>A write with an ETag to a missing key creates it on Redis (its Lua script accepts a missing version) and is
/// an ETag mismatch on PostgreSQL (an UPDATE that matches no row).</item>
/// <item>ETags: Redis keeps a per-key version (1, 2, ...; back to 1 once the key is deleted or expired); PostgreSQL a
/// fresh random UUID per write, and any ETag that is not a UUID is a mismatch.</item>
/// <item>Redis marks a key written with first-write concurrency, and from then on refuses any write without the
/// current ETag, even a last-write one. A write without ttlInSeconds keeps a Redis key's expiry; on PostgreSQL it
/// clears it.</item>
/// <item>A transaction on Redis is MULTI/EXEC: a failing operation does not undo the others ("Redis does not support
/// transaction rollbacks"); on PostgreSQL it is all or nothing.</item>
/// </list>
/// </summary>
public sealed class StandInStateStore
{
    private const string TtlKey = "ttlInSeconds";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Entry>> _stores = new(StringComparer.Ordinal);
    private readonly WaitableList<StandInStateAttempt> _attempts = new();
    private readonly TimeProvider _clock;

    public StandInStateStore(StandInStateFlavour flavour = StandInStateFlavour.Redis, TimeProvider? timeProvider = null)
    {
        Flavour = flavour;
        _clock = timeProvider ?? TimeProvider.System;
    }

    public StandInStateFlavour Flavour { get; }

    /// <summary>Every attempt a sidecar made on this store (retries by daprd's policy included), in order.</summary>
    public IReadOnlyList<StandInStateAttempt> Attempts => _attempts.Snapshot();

    public IReadOnlyDictionary<string, StoredState> Snapshot(string store)
    {
        lock (_gate)
        {
            return Live(store).ToDictionary(kv => kv.Key, kv => kv.Value.State, StringComparer.Ordinal);
        }
    }

    /// <summary>Puts a value in place directly, as another writer with last-write concurrency and no TTL would.</summary>
    public void Set(string store, string key, byte[] value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var entries = Live(store);
            entries.TryGetValue(key, out var current);
            entries[key] = Write(current, [.. value], new Dictionary<string, string>(), expiresAt: null, firstWrite: false);
        }
    }

    internal void Record(StandInStateAttempt attempt) => _attempts.Add(attempt);

    internal (StoredState State, DateTimeOffset? ExpiresAt)? Get(string store, string key)
    {
        lock (_gate)
        {
            return Live(store).TryGetValue(key, out var entry) ? (entry.State, entry.ExpiresAt) : null;
        }
    }

    /// <exception cref="StandInStoreException">The store's own error.</exception>
    internal void Set(string store, StandInWrite write)
    {
        lock (_gate)
        {
            var entries = Live(store);
            Apply(entries, write, inTransaction: false);
        }
    }

    /// <exception cref="StandInStoreException">The store's own error.</exception>
    internal void Delete(string store, string key, string? etag)
    {
        lock (_gate)
        {
            ApplyDelete(Live(store), key, etag);
        }
    }

    /// <summary>A transaction: all or nothing on PostgreSQL; on Redis every operation runs, and the first error is returned.</summary>
    /// <exception cref="StandInStoreException">The store's own error.</exception>
    internal void Multi(string store, IReadOnlyList<(bool Upsert, StandInWrite Write)> operations)
    {
        lock (_gate)
        {
            var live = Live(store);
            if (Flavour == StandInStateFlavour.PostgreSql)
            {
                var draft = new Dictionary<string, Entry>(live, StringComparer.Ordinal);
                foreach (var (upsert, write) in operations)
                {
                    if (upsert) Apply(draft, write, inTransaction: true);
                    else ApplyDelete(draft, write.Key, write.ETag);
                }

                _stores[store] = draft;
                return;
            }

            // Redis: Multi parses every ETag before it queues anything (parseETag), then EXEC runs all commands.
            foreach (var (upsert, write) in operations.Where(o => o.Upsert))
            {
                _ = RedisVersion(write);
            }

            StandInStoreException? first = null;
            foreach (var (upsert, write) in operations)
            {
                try
                {
                    if (upsert) Apply(live, write, inTransaction: true);
                    else ApplyDelete(live, write.Key, write.ETag);
                }
                catch (StandInStoreException ex)
                {
                    first ??= ex;
                }
            }

            if (first is not null) throw first;
        }
    }

    private void Apply(Dictionary<string, Entry> entries, StandInWrite write, bool inTransaction)
    {
        entries.TryGetValue(write.Key, out var current);
        if (Flavour == StandInStateFlavour.Redis)
        {
            SetRedis(entries, current, write, inTransaction);
        }
        else
        {
            SetPostgreSql(entries, current, write);
        }
    }

    // state/redis/redis.go Set + setDefaultQuery (the non-JSON path: values saved as bytes).
    private void SetRedis(Dictionary<string, Entry> entries, Entry? current, StandInWrite write, bool inTransaction)
    {
        var version = RedisVersion(write);
        var ttl = ParseTtl(write.Metadata, "failed to parse ttl from metadata");
        // ARGV[3] is "0" only for a single Set with first-write concurrency; Multi passes no ARGV[3].
        var markFirstWrite = !inTransaction && write.Concurrency == StandInConcurrency.FirstWrite;
        var accepted = current is null
            || current.State.ETag == version.ToString(CultureInfo.InvariantCulture)
            || (!current.FirstWrite && version == 0);
        if (!accepted)
        {
            var error = $"failed to set key {write.Key}";
            throw write.HasETag
                ? StandInStoreException.ETagMismatch(error)
                : new StandInStoreException(StandInStoreErrorKind.Other, $"failed to set key {write.Key}: {error}");
        }

        // EXPIRE for a positive TTL, PERSIST for zero or less; without ttlInSeconds the key keeps its expiry.
        var expires = ttl switch
        {
            > 0 => _clock.GetUtcNow().AddSeconds(ttl.Value),
            <= 0 => null,
            null => current?.ExpiresAt,
        };
        entries[write.Key] = Write(current, write.Value, write.Metadata, expires, (current?.FirstWrite ?? false) || markFirstWrite);
    }

    private static int RedisVersion(StandInWrite write)
    {
        // parseETag: last-write concurrency or no ETag means version 0; an ETag that is not a number is invalid.
        if (write.Concurrency == StandInConcurrency.LastWrite || !write.HasETag)
        {
            return 0;
        }

        return int.TryParse(write.ETag, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new StandInStoreException(StandInStoreErrorKind.ETagInvalid,
                $"invalid etag value: strconv.Atoi: parsing \"{write.ETag}\": invalid syntax");
    }

    // state/postgresql/v2/postgresql.go doSet.
    private void SetPostgreSql(Dictionary<string, Entry> entries, Entry? current, StandInWrite write)
    {
        var ttl = ParseTtl(write.Metadata, "error parsing TTL");
        DateTimeOffset? expires = ttl > 0 ? _clock.GetUtcNow().AddSeconds(ttl.Value) : null;
        if (write.HasETag)
        {
            // Not a UUID: a mismatch at once. Otherwise an UPDATE on key and etag: a missing key matches no row.
            if (!Guid.TryParse(write.ETag, out _) || current is null || current.State.ETag != write.ETag)
            {
                throw StandInStoreException.ETagMismatch(null);
            }
        }
        else if (write.Concurrency == StandInConcurrency.FirstWrite && current is not null)
        {
            // INSERT ... ON CONFLICT DO UPDATE ... WHERE the row expired: a live row is not updated.
            throw new StandInStoreException(StandInStoreErrorKind.Other, "no item was updated");
        }

        entries[write.Key] = Write(current, write.Value, write.Metadata, expires, firstWrite: false);
    }

    private void ApplyDelete(Dictionary<string, Entry> entries, string key, string? etag)
    {
        entries.TryGetValue(key, out var current);
        var hasETag = !string.IsNullOrEmpty(etag);
        if (Flavour == StandInStateFlavour.Redis)
        {
            // delDefaultQuery with ETag "0" when none: a missing key, the current version, or "0" deletes.
            if (current is not null && hasETag && etag != "0" && current.State.ETag != etag)
            {
                throw StandInStoreException.ETagMismatch($"failed to delete {key}");
            }
        }
        else if (hasETag && (!Guid.TryParse(etag, out _) || current is null || current.State.ETag != etag))
        {
            // DELETE ... WHERE key AND etag: no row deleted (a missing key included) is a mismatch.
            throw StandInStoreException.ETagMismatch(null);
        }

        entries.Remove(key);
    }

    private static int? ParseTtl(IReadOnlyDictionary<string, string> metadata, string what)
    {
        if (!metadata.TryGetValue(TtlKey, out var text) || text.Length == 0)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : throw new StandInStoreException(StandInStoreErrorKind.Other, $"{what}: invalid ttlInSeconds '{text}'");
    }

    private Entry Write(Entry? current, byte[] value, IReadOnlyDictionary<string, string> metadata, DateTimeOffset? expiresAt, bool firstWrite)
    {
        var copy = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        var etag = Flavour == StandInStateFlavour.Redis
            ? ((current is null ? 0 : long.Parse(current.State.ETag, CultureInfo.InvariantCulture)) + 1).ToString(CultureInfo.InvariantCulture)
            : Guid.NewGuid().ToString();
        return new Entry(new StoredState(value, etag, copy), expiresAt, firstWrite);
    }

    /// <summary>The store's entries (created empty on first use), with expired ones already gone.</summary>
    private Dictionary<string, Entry> Live(string store)
    {
        if (!_stores.TryGetValue(store, out var entries))
        {
            _stores[store] = entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        }

        var now = _clock.GetUtcNow();
        foreach (var key in entries.Where(kv => kv.Value.ExpiresAt <= now).Select(kv => kv.Key).ToList())
        {
            entries.Remove(key);
        }

        return entries;
    }

    private sealed record Entry(StoredState State, DateTimeOffset? ExpiresAt, bool FirstWrite);
}

/// <summary>The concurrency option of a write, as daprd passes it to the store.</summary>
internal enum StandInConcurrency
{
    Unspecified,
    FirstWrite,
    LastWrite,
}

/// <summary>One write (upsert) as the store receives it.</summary>
internal sealed record StandInWrite(
    string Key, byte[] Value, string? ETag, StandInConcurrency Concurrency, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>components-contrib state/requests.go HasETag: set and not empty.</summary>
    public bool HasETag => !string.IsNullOrEmpty(ETag);
}

internal enum StandInStoreErrorKind
{
    /// <summary>state.ETagError of kind mismatch: daprd answers Aborted and never retries it (but its breaker counts it).</summary>
    ETagMismatch,

    /// <summary>state.ETagError of kind invalid: InvalidArgument, not retried.</summary>
    ETagInvalid,

    /// <summary>Any other error: Internal, retried by daprd's retry policy.</summary>
    Other,

    /// <summary>Not the store's: daprd's open circuit breaker refused the call (Internal, not retried).</summary>
    BreakerOpen,
}

/// <summary>An error the store itself returned.</summary>
internal sealed class StandInStoreException(StandInStoreErrorKind kind, string message) : Exception(message)
{
    public StandInStoreErrorKind Kind { get; } = kind;

    // components-contrib v1.18.0 state/errors.go: the message daprd shows for an ETagError.
    public static StandInStoreException ETagMismatch(string? inner) => new(StandInStoreErrorKind.ETagMismatch,
        inner is null ? "possible etag mismatch. error from state store" : $"possible etag mismatch. error from state store: {inner}");
}

/// <summary>What one attempt on the store ended in.</summary>
public enum StandInStateOutcome
{
    Ok,
    ETagMismatch,
    ETagInvalid,

    /// <summary>A plain store error (a lost first write on Redis or PostgreSQL is one).</summary>
    Failed,

    /// <summary>daprd's circuit breaker for the store was open: the store was not asked.</summary>
    BreakerOpen,
}

/// <summary>One attempt a sidecar made on a state store: a retry by daprd's policy is an attempt of its own.</summary>
public sealed record StandInStateAttempt(
    string AppId, string Method, string StoreName, IReadOnlyList<string> Keys, int Attempt, StandInStateOutcome Outcome, DateTimeOffset At);
