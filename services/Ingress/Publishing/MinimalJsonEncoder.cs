using System.Buffers;
using System.Text.Encodings.Web;

namespace ModeRefresh.Ingress.Publishing;

/// <summary>
/// Escapes only what JSON itself requires (<c>"</c>, <c>\</c>, control characters), plus the few characters that are
/// valid JSON but trip other readers (DEL and C1 controls, U+2028/U+2029). System.Text.Json's default encoder also
/// escapes HTML-sensitive characters and everything outside ASCII (<c>&lt;</c> becomes <c>\u003C</c>, six bytes for
/// one), so a re-serialised 64 KB webhook of <c>&lt;</c> was published as 391 KB; even
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> escapes every character outside the BMP (an emoji:
/// twelve bytes for four). With this one an event is published at about the size it arrived. The output is still
/// valid JSON, read back to the same strings; it is not meant to be pasted into HTML, and nothing here does that.
/// </summary>
internal sealed class MinimalJsonEncoder : JavaScriptEncoder
{
    public static readonly MinimalJsonEncoder Instance = new();

    // Everything this encoder escapes, and the surrogates (checked for pairing: a lone one is not valid text).
    private static readonly SearchValues<char> Special = SearchValues.Create(SpecialChars());

    private MinimalJsonEncoder()
    {
    }

    // \uXXXX
    public override int MaxOutputCharactersPerInputCharacter => 6;

    public override bool WillEncode(int unicodeScalar) =>
        unicodeScalar < 0x20 || unicodeScalar is '"' or '\\' or (>= 0x7F and <= 0x9F) or 0x2028 or 0x2029
        || unicodeScalar is >= 0xD800 and <= 0xDFFF;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        var span = new ReadOnlySpan<char>(text, textLength);
        var offset = 0;
        while (true)
        {
            var i = span[offset..].IndexOfAny(Special);
            if (i < 0) return -1;
            i += offset;
            // A well-formed surrogate pair is an ordinary character (e.g. an emoji), written as it is.
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                offset = i + 2;
                continue;
            }

            return i;
        }
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        var destination = new Span<char>(buffer, bufferLength);
        numberOfCharactersWritten = 0;
        if (!WillEncode(unicodeScalar))
        {
            // Asked for a character it need not escape (the caller encodes from the first special one onwards).
            var rune = new System.Text.Rune(unicodeScalar);
            if (!rune.TryEncodeToUtf16(destination, out var written)) return false;
            numberOfCharactersWritten = written;
            return true;
        }

        ReadOnlySpan<char> shortForm = unicodeScalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\b' => "\\b",
            '\f' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            _ => default,
        };
        if (!shortForm.IsEmpty)
        {
            if (!shortForm.TryCopyTo(destination)) return false;
            numberOfCharactersWritten = shortForm.Length;
            return true;
        }

        if (destination.Length < 6) return false;
        "\\u".CopyTo(destination);
        if (!unicodeScalar.TryFormat(destination[2..], out _, "X4", System.Globalization.CultureInfo.InvariantCulture)) return false;
        numberOfCharactersWritten = 6;
        return true;
    }

    private static string SpecialChars()
    {
        var chars = new List<char> { '"', '\\', '\u2028', '\u2029' };
        for (var c = 0; c < 0x20; c++) chars.Add((char)c);
        for (var c = 0x7F; c <= 0x9F; c++) chars.Add((char)c);
        for (var c = 0xD800; c <= 0xDFFF; c++) chars.Add((char)c);
        return new string([.. chars]);
    }
}
