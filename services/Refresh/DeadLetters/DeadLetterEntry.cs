using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.DeadLetters;

/// <summary>One event that reached the dead-letter topic, as listed by <c>GET /deadletters</c>.</summary>
public sealed record DeadLetterEntry
{
    /// <summary>The dbt event id, when the payload could be read.</summary>
    public string? EventId { get; init; }

    public string? CloudEventId { get; init; }
    public string? RunId { get; init; }
    public string? JobId { get; init; }
    public required string Reason { get; init; }
    public DateTimeOffset DeadLetteredAt { get; init; }

    /// <summary>The event data as delivered, when it was JSON.</summary>
    public JsonElement? Payload { get; init; }

    /// <summary>The event data as text, when it was not JSON.</summary>
    public string? RawPayload { get; init; }

    [JsonIgnore]
    public string Identity => CloudEventId ?? EventId ?? string.Empty;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<DeadLetterEntry>))]
[JsonSerializable(typeof(IReadOnlyList<DeadLetterEntry>))]
internal sealed partial class DeadLetterJsonContext : JsonSerializerContext;
