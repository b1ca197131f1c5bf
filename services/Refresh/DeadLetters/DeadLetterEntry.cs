using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.DeadLetters;

/// <summary>
/// One event that reached the dead-letter topic. <c>GET /deadletters</c> lists these without payloads, so the list
/// stays small whatever the events' size; <c>GET /deadletters/{id}</c> gives one with its payload.
/// </summary>
public sealed record DeadLetterEntry
{
    /// <summary>Stable per dead letter (from its CloudEvent id, else its dbt event id); used in <c>/deadletters/{id}</c>.</summary>
    public string? Id { get; init; }

    /// <summary>The dbt event id, when the payload could be read.</summary>
    public string? EventId { get; init; }

    public string? CloudEventId { get; init; }
    public string? RunId { get; init; }
    public string? JobId { get; init; }
    public required string Reason { get; init; }
    public DateTimeOffset DeadLetteredAt { get; init; }

    /// <summary>Size of the event data as delivered, in bytes.</summary>
    public long PayloadBytes { get; init; }

    /// <summary>True when the data was larger than DeadLetters:MaxPayloadBytes and only its start was kept.</summary>
    public bool? PayloadTruncated { get; init; }

    /// <summary>The event data, when it was JSON and kept whole (only in <c>/deadletters/{id}</c>).</summary>
    public JsonElement? Payload { get; init; }

    /// <summary>The event data as text, when it was not JSON or was cut (only in <c>/deadletters/{id}</c>).</summary>
    public string? RawPayload { get; init; }

    /// <summary>When <c>POST /deadletters/{id}/replay</c> last published it again; null when never replayed.</summary>
    public DateTimeOffset? ReplayedAt { get; init; }

    /// <summary>How often it was replayed.</summary>
    public int? Replays { get; init; }

    [JsonIgnore]
    public string Identity => CloudEventId ?? EventId ?? string.Empty;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<DeadLetterEntry>))]
[JsonSerializable(typeof(IReadOnlyList<DeadLetterEntry>))]
[JsonSerializable(typeof(DeadLetterEntry))]
[JsonSerializable(typeof(ReplayAnswer))]
internal sealed partial class DeadLetterJsonContext : JsonSerializerContext;
