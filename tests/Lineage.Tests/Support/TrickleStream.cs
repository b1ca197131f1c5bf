namespace ModeRefresh.Lineage.Tests.Support;

/// <summary>
/// Hands out at most <c>chunk</c> bytes per read, as a slow network does: every token boundary then falls at a
/// buffer refill somewhere, which is what a streaming reader must survive.
/// </summary>
internal sealed class TrickleStream(byte[] data, int chunk) : Stream
{
    private int _position;

    /// <summary>Largest number of bytes handed out so far in one read.</summary>
    public int LargestRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => data.Length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(chunk, buffer.Length), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        LargestRead = Math.Max(LargestRead, n);
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
