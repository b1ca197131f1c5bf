using System.Buffers;
using System.Text.Json;

namespace ModeRefresh.Lineage.Artifacts;

/// <summary>
/// Feeds a JSON document from a stream to <see cref="OnToken"/> one token at a time, holding only a buffer of the
/// stream (128 KiB, grown only when one token is longer) rather than the document: manifests pass 100 MB. Derived
/// readers are token-driven state machines that keep what they need and call <see cref="SkipNextValue"/> for
/// everything else, so a skipped subtree costs tokenizing and nothing more.
/// </summary>
internal abstract class StreamingJsonParser
{
    private const int InitialBufferBytes = 128 * 1024;

    private readonly int _maxTokenBytes;
    private bool _skipNext;
    private int _skipDepth = -1;
    private long _bufferOffset;
    private bool _started;

    protected StreamingJsonParser(int maxTokenBytes)
    {
        _maxTokenBytes = maxTokenBytes;
    }

    /// <summary>Bytes of the document consumed so far (for positions in error messages).</summary>
    protected long Position { get; private set; }

    protected async Task ParseAsync(Stream stream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = 256, CommentHandling = JsonCommentHandling.Disallow });
        var filled = 0;
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
                var final = read == 0;
                filled += read;
                if (final && filled == 0 && _bufferOffset == 0)
                {
                    throw Error("the file is empty", 0);
                }

                var consumed = Process(buffer.AsSpan(0, filled), final, ref state);
                if (final)
                {
                    break;
                }

                var left = filled - consumed;
                buffer.AsSpan(consumed, left).CopyTo(buffer);
                filled = left;
                _bufferOffset += consumed;
                if (filled == buffer.Length)
                {
                    // One token does not fit: grow, but not without bound (a hostile or broken file could be one string).
                    if (buffer.Length >= _maxTokenBytes)
                    {
                        throw Error($"one JSON value is longer than {_maxTokenBytes / (1024 * 1024)} MiB", _bufferOffset);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _maxTokenBytes));
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        OnDocumentEnd();
    }

    /// <summary>Called for every token that is not inside a skipped value.</summary>
    protected abstract void OnToken(ref Utf8JsonReader reader);

    /// <summary>Called once the whole document was read and was valid JSON.</summary>
    protected abstract void OnDocumentEnd();

    /// <summary>The artifact-specific exception for <paramref name="reason"/>.</summary>
    protected abstract DbtArtifactFormatException Error(string reason, long? position);

    /// <summary>After a property name: the value that follows (scalar, object or array) is not passed to <see cref="OnToken"/>.</summary>
    protected void SkipNextValue() => _skipNext = true;

    /// <summary>At a StartObject/StartArray token: that container's content and its end are not passed on.</summary>
    protected void SkipCurrentContainer(ref Utf8JsonReader reader) => _skipDepth = reader.CurrentDepth;

    private int Process(ReadOnlySpan<byte> data, bool final, ref JsonReaderState state)
    {
        var reader = new Utf8JsonReader(data, final, state);
        try
        {
            while (reader.Read())
            {
                Position = _bufferOffset + reader.BytesConsumed;
                if (_skipDepth >= 0)
                {
                    if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == _skipDepth)
                    {
                        _skipDepth = -1;
                    }

                    continue;
                }

                if (_skipNext)
                {
                    _skipNext = false;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        _skipDepth = reader.CurrentDepth;
                    }

                    continue;
                }

                _started = true;
                OnToken(ref reader);
            }
        }
        catch (JsonException)
        {
            // Utf8JsonReader's own message quotes the offending character; ours gives only the position.
            var at = _bufferOffset + reader.BytesConsumed;
            throw Error(final && reader.CurrentDepth > 0 && data.Length - reader.BytesConsumed < 64
                ? "the file ends before its JSON document does (cut short?)"
                : "not valid JSON", at);
        }

        if (final && !_started)
        {
            throw Error("the file holds no JSON value", 0);
        }

        state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }
}
