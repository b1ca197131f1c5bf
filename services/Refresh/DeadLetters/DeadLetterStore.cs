using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Sidecar;

namespace ModeRefresh.Refresh.DeadLetters;

/// <summary>
/// Why events were given up (written when answering DROP or RETRY, read when the dead letter arrives), and the
/// bounded list of dead letters. The list is one state key, updated read-modify-write under its ETag.
/// </summary>
public sealed partial class DeadLetterStore(
    DaprClient dapr,
    IOptions<DaprOptions> components,
    IOptions<DeadLetterOptions> options,
    ILogger<DeadLetterStore> logger)
{
    private static readonly StateOptions CheckETag = new() { Concurrency = ConcurrencyMode.FirstWrite };

    private string Store => components.Value.StateStore;

    private DaprOptions Sidecar => components.Value;

    public static string ReasonKey(string eventId) => $"deadletter-reason:{eventId}";

    /// <summary>Best effort: a missing reason makes the dead-letter log vaguer, never loses the event.</summary>
    public async Task SaveReasonAsync(string? eventId, string reason)
    {
        if (string.IsNullOrEmpty(eventId))
        {
            return;
        }

        var ttl = new Dictionary<string, string>
        {
            ["ttlInSeconds"] = ((long)options.Value.ReasonTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        };
        try
        {
            await Sidecar.WithDeadline(
                t => dapr.SaveByteStateAsync(Store, ReasonKey(eventId), Encoding.UTF8.GetBytes(reason), metadata: ttl, cancellationToken: t),
                CancellationToken.None);
        }
        catch (DaprException ex)
        {
            LogReasonNotSaved(logger, ex, eventId);
        }
    }

    public async Task<string?> GetReasonAsync(string eventId, CancellationToken ct)
    {
        try
        {
            var bytes = await Sidecar.WithDeadline(t => dapr.GetByteStateAsync(Store, ReasonKey(eventId), cancellationToken: t), ct);
            return bytes.IsEmpty ? null : Encoding.UTF8.GetString(bytes.Span);
        }
        catch (DaprException ex)
        {
            LogReasonNotSaved(logger, ex, eventId);
            return null;
        }
    }

    /// <exception cref="DaprException">The state store could not be read.</exception>
    public async Task<IReadOnlyList<DeadLetterEntry>> ListAsync(CancellationToken ct) =>
        (await ReadAsync(ct)).Entries;

    /// <summary>Adds the entry unless it is already listed; false if it could not be stored (answer RETRY).</summary>
    public async Task<bool> AppendAsync(DeadLetterEntry entry, CancellationToken ct)
    {
        // Concurrent dead letters race for the one key; a short random pause spreads the retries out.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(10, 50) * attempt), ct);
            }

            try
            {
                var (entries, etag) = await ReadAsync(ct);
                if (entries.Any(e => e.Identity == entry.Identity))
                {
                    return true; // redelivered dead letter
                }

                var updated = entries.Append(entry).TakeLast(options.Value.MaxEntries).ToList();
                var data = JsonSerializer.SerializeToUtf8Bytes(updated, DeadLetterJsonContext.Default.ListDeadLetterEntry);
                if (string.IsNullOrEmpty(etag))
                {
                    await Sidecar.WithDeadline(t => dapr.SaveByteStateAsync(Store, options.Value.Key, data, CheckETag, cancellationToken: t), ct);
                    return true;
                }

                if (await Sidecar.WithDeadline(t => dapr.TrySaveByteStateAsync(Store, options.Value.Key, data, etag, CheckETag, cancellationToken: t), ct))
                {
                    return true;
                }
            }
            catch (DaprException ex)
            {
                // Includes losing a first-write race on an empty list; the next round reads the winner's list.
                LogAppendFailed(logger, ex, attempt + 1);
            }
        }

        return false;
    }

    private async Task<(List<DeadLetterEntry> Entries, string? ETag)> ReadAsync(CancellationToken ct)
    {
        var (bytes, etag) = await Sidecar.WithDeadline(t => dapr.GetByteStateAndETagAsync(Store, options.Value.Key, cancellationToken: t), ct);
        if (bytes.IsEmpty)
        {
            return ([], null);
        }

        try
        {
            return (JsonSerializer.Deserialize(bytes.Span, DeadLetterJsonContext.Default.ListDeadLetterEntry) ?? [], etag);
        }
        catch (JsonException ex)
        {
            // Start a fresh list rather than refuse dead letters forever; the ETag still guards the overwrite.
            LogListUnreadable(logger, ex);
            return ([], etag);
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Could not save or read the dead-letter reason for event {EventId}")]
    private static partial void LogReasonNotSaved(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Appending to the dead-letter list failed (attempt {Attempt})")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "The stored dead-letter list is unreadable; starting a new one")]
    private static partial void LogListUnreadable(ILogger logger, Exception exception);
}
