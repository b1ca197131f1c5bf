using System.Text.Json;
using System.Text.Json.Serialization;
using ModeRefresh.Contracts;

namespace ModeRefresh.Refresh.Subscription;

/// <summary>
/// Reads the <see cref="DbtRunEvent"/> that UseCloudEvents unwrapped from the envelope's <c>data</c>.
/// Tolerant where it costs nothing: ids sent as numbers (dbt does that in the wild) become strings, and data
/// published as a JSON string holding the event is unwrapped once more.
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
            error = evt is null ? $"data is {(utf8.IsEmpty ? "missing" : element.ValueKind.ToString())}, not an event object" : null;
            return evt;
        }
        catch (JsonException ex)
        {
            // JsonException messages name the path and position, never the values.
            error = utf8.IsEmpty ? "data is missing" : ex.Message;
            return null;
        }
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
