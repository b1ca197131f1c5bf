using System.Text;
using System.Text.Json;
using ModeRefresh.Contracts;

namespace ModeRefresh.Refresh.Subscription;

/// <summary>
/// Reads the <see cref="DbtRunEvent"/> that UseCloudEvents unwrapped from the envelope's <c>data</c>, with the one
/// reader both services use (<see cref="DbtRunEventReader"/>: ids as strings or integers, trimmed, no control
/// characters). What is left here is the envelope's part: data that is missing, and data published as a JSON string
/// holding the event, which is unwrapped once.
/// </summary>
public static class DbtEventReader
{
    public static async Task<byte[]> ReadBodyAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    /// <summary>The event, or null with <paramref name="error"/> saying why (no payload content in it).</summary>
    public static DbtRunEvent? TryParse(ReadOnlyMemory<byte> data, out string? error)
    {
        if (data.IsEmpty)
        {
            error = "data is missing";
            return null;
        }

        return DbtRunEventReader.TryRead(Unwrapped(data), "data", out var evt, out error) ? evt : null;
    }

    // A publisher that serialised the event and published the text has JSON text as data: read the text instead.
    // Anything else (and anything unreadable) is passed on as it is, for the reader to name what is wrong with it.
    private static ReadOnlyMemory<byte> Unwrapped(ReadOnlyMemory<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data.Span);
            if (reader.Read() && reader.TokenType == JsonTokenType.String && reader.GetString() is { } text && !reader.Read())
            {
                return Encoding.UTF8.GetBytes(text);
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Malformed JSON, or a string that is not valid UTF-16/UTF-8: the reader reports it.
        }

        return data;
    }
}
