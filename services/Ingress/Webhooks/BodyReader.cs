using System.Buffers;

namespace ModeRefresh.Ingress.Webhooks;

/// <summary>Reads the raw body once, refusing to read past a cap.</summary>
public static class BodyReader
{
    /// <summary>
    /// The body in a pooled buffer (return it with <see cref="ArrayPool{T}.Shared"/>), or null when it is
    /// larger than <paramref name="maxBytes"/>. A declared Content-Length over the cap is refused unread.
    /// </summary>
    public static async ValueTask<(byte[]? Buffer, int Length)> ReadCappedAsync(
        HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) return (null, 0);

        // One spare byte tells "exactly at the cap" from "over it" without reading further.
        var initial = request.ContentLength is { } declared ? (int)declared + 1 : Math.Min(maxBytes + 1, 16 * 1024);
        var buffer = ArrayPool<byte>.Shared.Rent(initial);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxBytes + 1) - length), ct);
                if (read == 0) return (buffer, length);
                length += read;
                if (length > maxBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
