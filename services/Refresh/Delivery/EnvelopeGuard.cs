using System.Text;
using Microsoft.Net.Http.Headers;

namespace ModeRefresh.Refresh.Delivery;

/// <summary>
/// Marks where a structured CloudEvent is in the pipeline, so <see cref="TopicExceptionHandler"/> can tell an
/// envelope that cannot be read (it will never be readable: DROP) from a failure after it was unwrapped.
/// Dapr's CloudEvents middleware throws whatever the envelope provokes: InvalidOperationException for a JSON array,
/// FormatException for bad base64, BadHttpRequestException for a body over Kestrel's limit.
/// </summary>
internal sealed class EnvelopeStage
{
    public bool Unwrapped { get; set; }
}

internal static class EnvelopeGuard
{
    private const string CloudEventsMediaType = "application/cloudevents+json";

    /// <summary>Before UseCloudEvents: note the envelope, and check it is UTF-8 as it is read.</summary>
    public static Task BeforeAsync(HttpContext context, Func<Task> next)
    {
        if (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            && type.MediaType.Equals(CloudEventsMediaType, StringComparison.OrdinalIgnoreCase))
        {
            context.Features.Set(new EnvelopeStage());

            // JSON between systems must be UTF-8 (RFC 8259 section 8.1). System.Text.Json does not decode the
            // strings this service never reads (e.g. "source"), so without this an envelope with a 0xFF byte in
            // one would be accepted. Other declared charsets are decoded by the middleware itself.
            if (type.Charset.Length == 0 || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            {
                context.Request.Body = new Utf8ValidatingStream(context.Request.Body);
            }
        }

        return next();
    }

    /// <summary>After UseCloudEvents: the envelope was read.</summary>
    public static Task AfterAsync(HttpContext context, Func<Task> next)
    {
        if (context.Features.Get<EnvelopeStage>() is { } stage)
        {
            stage.Unwrapped = true;
        }

        return next();
    }
}

/// <summary>Passes bytes through unchanged and throws <see cref="InvalidDataException"/> at the first invalid UTF-8 sequence.</summary>
internal sealed class Utf8ValidatingStream(Stream inner) : Stream
{
    public const string Message = "the body is not valid UTF-8";

    private readonly Decoder decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
    private readonly char[] chars = new char[1024];

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Check(buffer.Span[..read], final: read == 0);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Check(buffer.AsSpan(offset, read), final: read == 0);
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Check(ReadOnlySpan<byte> bytes, bool final)
    {
        try
        {
            do
            {
                decoder.Convert(bytes, chars, flush: final, out var used, out _, out _);
                bytes = bytes[used..];
            }
            while (!bytes.IsEmpty);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException(Message, ex);
        }
    }
}
