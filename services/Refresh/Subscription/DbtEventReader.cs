using System.Text.Json;
using System.Text.Json.Serialization;
using ModeRefresh.Contracts;

namespace ModeRefresh.Refresh.Subscription;

/// <summary>
/// Reads the <see cref="DbtRunEvent"/> that UseCloudEvents unwrapped from the envelope's <c>data</c>.
/// Tolerant where it costs nothing: ids sent as numbers (dbt does that in the wild) become strings, and data
/// published as a JSON string holding the event is unwrapped once more. Ids are normalised (see <see cref="Normalise"/>).
/// </summary>
public static class DbtEventReader
{
    private static readonly JsonSerializerOptions Options = new(ContractsJsonContext.Default.Options)
    {
        Converters = { new StringOrNumberConverter() },
    };

    public static async Task<byte[]> ReadBodyAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    /// <summary>The event, or null with <paramref name="error"/> saying why (no payload content in it).</summary>
    public static DbtRunEvent? TryParse(ReadOnlySpan<byte> utf8, out string? error)
    {
        error = null;
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            // Strings holding such bytes fail only when read (InvalidOperationException), long after parsing.
            error = "data is not valid UTF-8";
            return null;
        }

        try
        {
            var element = JsonSerializer.Deserialize<JsonElement>(utf8);
            if (element.ValueKind == JsonValueKind.String)
            {
                element = JsonSerializer.Deserialize<JsonElement>(element.GetString()!);
            }

            var evt = element.ValueKind == JsonValueKind.Object
                ? (DbtRunEvent?)element.Deserialize(Options.GetTypeInfo(typeof(DbtRunEvent)))
                : null;
            if (evt is null)
            {
                error = $"data is {(utf8.IsEmpty ? "missing" : element.ValueKind.ToString())}, not an event object";
                return null;
            }

            return Normalise(evt, out error);
        }
        catch (JsonException ex)
        {
            // JsonException messages name the path and position, never the values.
            error = utf8.IsEmpty ? "data is missing" : ex.Message;
            return null;
        }
    }

    /// <summary>
    /// The ids used for matching, deduplication and logging, trimmed of surrounding whitespace (dbt's own
    /// payloads carry none; a hand-made or re-serialised one may) and refused when they hold a control character,
    /// which no dbt id has and which would let a value forge log lines. Ingress applies the same rule.
    /// </summary>
    private static DbtRunEvent? Normalise(DbtRunEvent evt, out string? error)
    {
        error = null;
        var eventId = Id(evt.EventId, "eventId", ref error);
        var data = evt.Data with
        {
            JobId = Id(evt.Data.JobId, "data.jobId", ref error),
            RunId = Id(evt.Data.RunId, "data.runId", ref error),
            EnvironmentId = string.IsNullOrWhiteSpace(evt.Data.EnvironmentId) ? null : evt.Data.EnvironmentId.Trim(), // matched only, never logged
        };
        if (error is null && string.IsNullOrEmpty(eventId))
        {
            error = "eventId is empty";
        }

        return error is null ? evt with { EventId = eventId!, Data = data } : null;
    }

    private static string? Id(string? value, string field, ref string? error)
    {
        var trimmed = value?.Trim();
        if (trimmed is not null && trimmed.Any(char.IsControl))
        {
            error ??= $"{field} contains a control character";
        }

        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    private sealed class StringOrNumberConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                JsonTokenType.Null => null,
                _ => throw new JsonException($"expected a string or number, found {reader.TokenType}"),
            };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value);
    }
}
