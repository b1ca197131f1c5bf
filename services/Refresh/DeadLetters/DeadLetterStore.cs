using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.State;
using ModeRefresh.ServiceDefaults;
using Polly;
using Polly.Retry;

namespace ModeRefresh.Refresh.DeadLetters;

/// <summary>
/// Why events were given up (written when answering DROP or RETRY, read when the dead letter arrives), and the
/// bounded list of dead letters. The list is one state key of small entries, updated read-modify-write under its
/// ETag; each dead letter's data is kept apart under its own key, cut at DeadLetters:MaxPayloadBytes, so no write
/// grows with the size or number of dead letters and a large one is listed like any other.
/// </summary>
public sealed partial class DeadLetterStore
{
    /// <summary>The stored list stays under this many bytes whatever MaxEntries says (oldest entries go first).</summary>
    internal const int MaxListBytes = 2 * 1024 * 1024;

    /// <summary>Longest reason kept in an entry; a longer one is cut with a note of its length.</summary>
    internal const int MaxReasonChars = 2000;

    /// <summary>Longest id kept in an entry (ids come from the event, which can hold anything).</summary>
    internal const int MaxIdChars = 256;

    // Entries dropped from the list have their data deleted in the same turn, a few at a time.
    private const int MaxPayloadDeletesPerAppend = 20;

    private readonly JsonRecordStore _records;
    private readonly IOptions<DeadLetterOptions> _options;
    private readonly ILogger<DeadLetterStore> _logger;

    // Dead letters of this process take turns at the one list key, so they never race each other at the store.
    private readonly SemaphoreSlim _turn = new(1, 1);

    // Another replica may still change the list between a read and a write (an ETag mismatch, or a lost first write
    // of an empty list): read it again and retry, a few times, with a short random pause; likewise after a call that
    // failed fast.
    private readonly ResiliencePipeline<bool> _rounds;

    public DeadLetterStore(
        JsonRecordStore records,
        IOptions<DeadLetterOptions> options,
        TimeProvider time,
        ILogger<DeadLetterStore> logger)
    {
        _records = records;
        _options = options;
        _logger = logger;
        _rounds = new ResiliencePipelineBuilder<bool> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<bool>
            {
                ShouldHandle = new PredicateBuilder<bool>()
                    .HandleResult(false)
                    .Handle<DaprException>(StateStoreResilience.FailedFast),
                MaxRetryAttempts = 6,
                Delay = TimeSpan.FromMilliseconds(20),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    LogAppendRetried(_logger, args.Outcome.Exception, args.AttemptNumber + 1);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    private DeadLetterOptions Options => _options.Value;

    public static string ReasonKey(string eventId) => $"deadletter-reason:{eventId}";

    /// <summary>The id of the dead letter with this identity (CloudEvent id, else dbt event id): URL-safe, fixed length.</summary>
    public static string IdFor(string identity) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32];

    public string PayloadKey(string id) => $"{Options.Key}:payload:{id}";

    /// <summary>Best effort: a missing reason makes the dead-letter log vaguer, never loses the event.</summary>
    public async Task SaveReasonAsync(string? eventId, string reason)
    {
        if (string.IsNullOrEmpty(eventId))
        {
            return;
        }

        try
        {
            await _records.SaveBytesAsync(ReasonKey(eventId), Encoding.UTF8.GetBytes(reason), Options.ReasonTtl, CancellationToken.None);
        }
        catch (DaprException ex)
        {
            LogReasonNotSaved(_logger, ex, eventId);
        }
    }

    public async Task<string?> GetReasonAsync(string eventId, CancellationToken ct)
    {
        try
        {
            var (bytes, _) = await _records.ReadBytesAsync(ReasonKey(eventId), ct);
            return bytes.IsEmpty ? null : Encoding.UTF8.GetString(bytes.Span);
        }
        catch (DaprException ex)
        {
            LogReasonNotSaved(_logger, ex, eventId);
            return null;
        }
    }

    /// <summary>The kept dead letters, oldest first, without their data.</summary>
    /// <exception cref="DaprException">The state store could not be read.</exception>
    public async Task<IReadOnlyList<DeadLetterEntry>> ListAsync(CancellationToken ct) =>
        [.. (await ReadListAsync(ct)).Entries.Select(e => e with { Payload = null, RawPayload = null })];

    /// <summary>One dead letter with its data (as kept: whole, or its start when it was cut), or null when it is not listed.</summary>
    /// <exception cref="DaprException">The state store could not be read.</exception>
    public async Task<DeadLetterEntry?> GetAsync(string id, CancellationToken ct)
    {
        var entry = (await ReadListAsync(ct)).Entries.LastOrDefault(e => e.Id == id);
        if (entry is null)
        {
            return null;
        }

        var (bytes, _) = await _records.ReadBytesAsync(PayloadKey(id), ct);
        if (bytes.IsEmpty)
        {
            return entry; // data of a list written before payloads were kept apart is still inline
        }

        if (entry.PayloadTruncated != true && TryJson(bytes.Span) is { } json)
        {
            return entry with { Payload = json, RawPayload = null };
        }

        return entry with { Payload = null, RawPayload = Encoding.UTF8.GetString(bytes.Span) };
    }

    /// <summary>
    /// Adds the dead letter unless it is already listed: its data (cut at DeadLetters:MaxPayloadBytes) under its own
    /// key, then a bounded entry in the list. False if it could not be stored (answer RETRY).
    /// </summary>
    public async Task<bool> AppendAsync(DeadLetterEntry entry, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var max = Options.MaxPayloadBytes;
        var kept = data.Length <= max ? data : data[..Utf8Prefix(data.Span, max)];
        var bounded = entry with
        {
            Id = IdFor(entry.Identity),
            EventId = Bound(entry.EventId),
            CloudEventId = Bound(entry.CloudEventId),
            RunId = Bound(entry.RunId),
            JobId = Bound(entry.JobId),
            Reason = BoundReason(entry.Reason),
            PayloadBytes = data.Length,
            PayloadTruncated = data.Length > max ? true : null,
            Payload = null,
            RawPayload = null,
        };

        await _turn.WaitAsync(ct);
        try
        {
            var round = new Round(bounded, kept);
            return await _rounds.ExecuteAsync(static async (r, t) => await r.Store.TryAppendOnceAsync(r.Round, t),
                (Store: this, Round: round), ct);
        }
        catch (DaprException ex)
        {
            LogAppendFailed(_logger, ex);
            return false;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Keeps at most <see cref="MaxIdChars"/> characters of an id taken from the event.</summary>
    public static string? Bound(string? id) => id is { Length: > MaxIdChars } ? id[..MaxIdChars] + "…" : id;

    /// <summary>Keeps the start of a long reason, with a note of how long it was.</summary>
    public static string BoundReason(string reason) => reason.Length <= MaxReasonChars
        ? reason
        : $"{reason[..MaxReasonChars]}… (cut: {reason.Length.ToString(CultureInfo.InvariantCulture)} characters in all)";

    /// <summary>One try: false when another replica changed the list first (read it again).</summary>
    private async Task<bool> TryAppendOnceAsync(Round round, CancellationToken ct)
    {
        var (entries, etag) = await ReadListAsync(ct);
        var listed = entries.FindIndex(e => e.Id == round.Entry.Id);
        if (listed >= 0 && entries[listed].ReplayedAt is null)
        {
            return true; // redelivered dead letter
        }

        if (listed >= 0)
        {
            // Replayed and given up again: the entry moves to the end with the new reason, its replay count kept.
            round.Replace(entries[listed].Replays);
            entries.RemoveAt(listed);
        }

        if (!round.DataSaved)
        {
            // Last-write: the same dead letter always has the same data, so a redelivery may write it again.
            await _records.SaveBytesAsync(PayloadKey(round.Entry.Id!), round.Data, ttl: null, ct);
            round.DataSaved = true;
        }

        var list = await MigrateInlineDataAsync(entries, ct);
        list.Add(round.Entry);
        var (keptEntries, data) = Trim(list);
        // Without an ETag (no list yet) this is the first write, which loses to another replica's first list.
        var saved = await _records.TrySaveBytesAsync(Options.Key, data, etag, ttl: null, ct);
        if (saved)
        {
            await DeleteDataOfAsync(entries.Where(e => keptEntries.All(k => k.Id != e.Id)).Take(MaxPayloadDeletesPerAppend));
        }

        return saved;
    }

    /// <summary>Newest MaxEntries entries, fewer if needed to stay under <see cref="MaxListBytes"/>; and the list serialised.</summary>
    private (List<DeadLetterEntry> Kept, byte[] Data) Trim(List<DeadLetterEntry> all)
    {
        var kept = all.TakeLast(Options.MaxEntries).ToList();
        var sizes = kept.Select(e => (long)JsonSerializer.SerializeToUtf8Bytes(e, DeadLetterJsonContext.Default.DeadLetterEntry).Length).ToList();
        var total = 2 + sizes.Sum() + Math.Max(0, kept.Count - 1);
        var drop = 0;
        while (total > MaxListBytes && kept.Count - drop > 1)
        {
            total -= sizes[drop] + 1;
            drop++;
        }

        kept.RemoveRange(0, drop);
        return (kept, JsonSerializer.SerializeToUtf8Bytes(kept, DeadLetterJsonContext.Default.ListDeadLetterEntry));
    }

    /// <summary>Entries of a list written before data was kept apart carry it inline: move it to its own key.</summary>
    private async Task<List<DeadLetterEntry>> MigrateInlineDataAsync(List<DeadLetterEntry> entries, CancellationToken ct)
    {
        var result = new List<DeadLetterEntry>(entries.Count + 1);
        foreach (var entry in entries)
        {
            if (entry.Payload is null && entry.RawPayload is null)
            {
                result.Add(entry);
                continue;
            }

            var data = entry.Payload is { } json ? Encoding.UTF8.GetBytes(json.GetRawText()) : Encoding.UTF8.GetBytes(entry.RawPayload!);
            await _records.SaveBytesAsync(PayloadKey(entry.Id!), data, ttl: null, ct);
            result.Add(entry with { Payload = null, RawPayload = null, PayloadBytes = data.Length });
        }

        return result;
    }

    private async Task DeleteDataOfAsync(IEnumerable<DeadLetterEntry> dropped)
    {
        foreach (var entry in dropped)
        {
            try
            {
                await _records.DeleteAsync(PayloadKey(entry.Id!), CancellationToken.None);
            }
            catch (DaprException ex)
            {
                LogDataNotDeleted(_logger, ex, entry.Id!); // the entry is gone from the list; its data stays behind
            }
        }
    }

    private async Task<(List<DeadLetterEntry> Entries, string ETag)> ReadListAsync(CancellationToken ct)
    {
        // Unreadable: start a fresh list rather than refuse dead letters forever; the ETag still guards the overwrite.
        var (entries, etag) = await _records.ReadAsync(Options.Key, DeadLetterJsonContext.Default.ListDeadLetterEntry, ex =>
        {
            LogListUnreadable(_logger, ex);
            return [];
        }, ct);

        // Lists written before entries had ids: the id follows from the identity, as for new ones.
        return ([.. (entries ?? []).Select(e => e.Id is null ? e with { Id = IdFor(e.Identity) } : e)], etag);
    }

    private static JsonElement? TryJson(ReadOnlySpan<byte> data)
    {
        try
        {
            using var doc = JsonDocument.Parse(data.ToArray());
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The longest prefix of at most <paramref name="max"/> bytes that does not split a UTF-8 character.</summary>
    private static int Utf8Prefix(ReadOnlySpan<byte> data, int max)
    {
        var end = max;
        while (end > 0 && (data[end] & 0xC0) == 0x80)
        {
            end--;
        }

        return end;
    }

    /// <summary>
    /// Marks a listed dead letter as replayed (so that its next dead-lettering is listed with its new reason rather
    /// than taken for a redelivery). The entry as it was, or null when it is not listed.
    /// </summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public Task<DeadLetterEntry?> MarkReplayedAsync(string id, DateTimeOffset at, CancellationToken ct) =>
        ChangeAsync(id, e => e with { ReplayedAt = at, Replays = (e.Replays ?? 0) + 1 }, ct);

    /// <summary>Removes a dead letter and its data; false when it was not listed (nothing to do).</summary>
    /// <exception cref="DaprException">The state store could not be used.</exception>
    public async Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        var removed = await ChangeAsync(id, null, ct);
        // Deleted even when not listed: data left behind by an earlier delete whose list write won but data delete failed.
        await _records.DeleteAsync(PayloadKey(id), ct);
        return removed is not null;
    }

    /// <summary>Replaces (or with null removes) one entry under the list's ETag, taking turns like appends.</summary>
    private async Task<DeadLetterEntry?> ChangeAsync(string id, Func<DeadLetterEntry, DeadLetterEntry>? change, CancellationToken ct)
    {
        await _turn.WaitAsync(ct);
        try
        {
            DeadLetterEntry? found = null;
            await _rounds.ExecuteAsync(async t =>
            {
                var (entries, etag) = await ReadListAsync(t);
                var index = entries.FindIndex(e => e.Id == id);
                found = index < 0 ? null : entries[index];
                if (found is null || string.IsNullOrEmpty(etag))
                {
                    return true;
                }

                if (change is null) entries.RemoveAt(index);
                else entries[index] = change(found);
                var data = JsonSerializer.SerializeToUtf8Bytes(entries, DeadLetterJsonContext.Default.ListDeadLetterEntry);
                return await _records.TrySaveBytesAsync(Options.Key, data, etag, ttl: null, t);
            }, ct);
            return found;
        }
        finally
        {
            _turn.Release();
        }
    }

    private sealed class Round(DeadLetterEntry entry, ReadOnlyMemory<byte> data)
    {
        public DeadLetterEntry Entry { get; private set; } = entry;
        public ReadOnlyMemory<byte> Data { get; } = data;
        public bool DataSaved { get; set; }

        public void Replace(int? replays) => Entry = Entry with { Replays = replays, ReplayedAt = null };
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Could not save or read the dead-letter reason for event {EventId}")]
    private static partial void LogReasonNotSaved(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Adding to the dead-letter list failed; answering RETRY")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "The stored dead-letter list is unreadable; starting a new one")]
    private static partial void LogListUnreadable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 603, Level = LogLevel.Debug,
        Message = "Dead-letter list changed by another replica, or a call failed; trying again (attempt {Attempt})")]
    private static partial void LogAppendRetried(ILogger logger, Exception? exception, int attempt);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "Could not delete the data of dead letter {Id}, dropped from the list")]
    private static partial void LogDataNotDeleted(ILogger logger, Exception exception, string id);
}
