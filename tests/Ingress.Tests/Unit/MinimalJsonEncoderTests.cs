using System.Text;
using System.Text.Json;
using ModeRefresh.Contracts;
using ModeRefresh.Ingress.Publishing;

namespace ModeRefresh.Ingress.Tests.Unit;

/// <summary>The published event's JSON: valid, read back to the same strings, and not inflated by escaping.</summary>
public sealed class MinimalJsonEncoderTests
{
    private static byte[] Publish(string text) =>
        JsonSerializer.SerializeToUtf8Bytes(new DbtRunEvent { EventId = "e", EventType = "t", Data = new DbtRunData { JobName = text } },
            EventPublisher.PublishedJson);

    private static string? ReadBack(byte[] json) => JsonSerializer.Deserialize(json, ContractsJsonContext.Default.DbtRunEvent)!.Data.JobName;

    [Theory]
    [InlineData("<script>&'+`")]
    [InlineData("Zürich – 東京 – Ελλάδα")]
    [InlineData("emoji 😀🚀 and 𝄞")]
    public void Serialize_HtmlSensitiveAndNonAscii_WrittenAsTheyAre(string text)
    {
        var json = Encoding.UTF8.GetString(Publish(text));

        Assert.Contains("\"jobName\":\"" + text + "\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\"b", "a\\\"b")]
    [InlineData("a\\b", "a\\\\b")]
    [InlineData("line\nbreak\r\ttab", "line\\nbreak\\r\\ttab")]
    [InlineData("\u0001\u001f\u007f\u0085", "\\u0001\\u001F\\u007F\\u0085")]
    [InlineData("js\u2028\u2029", "js\\u2028\\u2029")]
    public void Serialize_WhatJsonRequires_Escaped(string text, string escaped)
    {
        var json = Encoding.UTF8.GetString(Publish(text));

        Assert.Contains("\"jobName\":\"" + escaped + "\"", json, StringComparison.Ordinal);
        Assert.Equal(text, ReadBack(Publish(text)));
    }

    [Fact]
    public void Serialize_64KOfLessThan_AboutTheInputSize()
    {
        var text = new string('<', 64 * 1024);

        var json = Publish(text);

        // The default encoder wrote \u003C: six bytes each, 384 KB.
        Assert.InRange(json.Length, text.Length, text.Length + 100);
        Assert.Equal(text, ReadBack(json));
    }

    [Fact]
    public void Serialize_LoneSurrogate_StillValidJson()
    {
        var json = Publish("a\ud800b");

        Assert.Equal("a\ufffdb", ReadBack(json));
    }

    [Fact]
    public void Serialize_RandomText_ValidJsonReadBackEqualAndNoBiggerThanItsUtf8PlusEscapes()
    {
        var random = new Random(20261127);
        char[] pool = ['a', 'Z', '0', ' ', '<', '>', '&', '\'', '"', '\\', '/', '\n', '\t', '\u0000', '\u001b', '\u007f', 'é', '€', '東', '\u2028', '\ufeff'];
        for (var n = 0; n < 2000; n++)
        {
            var text = new StringBuilder();
            for (var i = random.Next(0, 40); i > 0; i--)
            {
                if (random.Next(6) == 0) text.Append("😀"); // a surrogate pair
                else text.Append(pool[random.Next(pool.Length)]);
            }

            var s = text.ToString();
            var json = Publish(s);
            Assert.Equal(s, ReadBack(json));
            var escapes = s.Count(c => c is '"' or '\\' || char.IsControl(c) || c is '\u2028' or '\u2029');
            var plain = Publish("").Length;
            Assert.True(json.Length <= plain + Encoding.UTF8.GetByteCount(s) + 5 * escapes, $"{json.Length} bytes for {JsonSerializer.Serialize(s)}");
        }
    }
}
