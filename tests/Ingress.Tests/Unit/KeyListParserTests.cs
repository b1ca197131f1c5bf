using System.Text;
using ModeRefresh.TestSupport;
using ModeRefresh.Ingress.Keys;

namespace ModeRefresh.Ingress.Tests.Unit;

public sealed class KeyListParserTests
{
    [Theory]
    [InlineData("one", new[] { "one" })]
    [InlineData("one,two", new[] { "one", "two" })]
    [InlineData(" one , two ", new[] { "one", "two" })]
    [InlineData("one two\nthree\r\n", new[] { "one", "two", "three" })]
    [InlineData("one,,one;two", new[] { "one", "two" })]
    [InlineData("one;two\tthree", new[] { "one", "two", "three" })]
    public void Parse_SeparatedKeys_EachKeyOnce(string value, string[] expected) =>
        Assert.Equal(expected, KeyListParser.Parse(value).Select(Encoding.UTF8.GetString));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \n ,, ")]
    public void Parse_Blank_NoKeys(string? value) => Assert.Empty(KeyListParser.Parse(value));

    [Fact]
    public void Readme_KeySecretSetting_NamesEverySeparatorTheParserAccepts()
    {
        var row = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"))
            .Single(l => l.StartsWith("| `Ingress:WebhookKeySecretName`", StringComparison.Ordinal));
        var names = new Dictionary<char, string>
        {
            [','] = "commas", [';'] = "semicolons", [' '] = "spaces", ['\t'] = "tabs", ['\r'] = "line breaks", ['\n'] = "line breaks",
        };

        foreach (var separator in KeyListParser.Separators)
        {
            Assert.True(names.TryGetValue(separator, out var name), $"no README name for separator U+{(int)separator:X4}");
            Assert.Contains(name, row, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_NonAsciiKey_Utf8Bytes() =>
        Assert.Equal([0x63, 0x6C, 0xC3, 0xA9], KeyListParser.Parse("clé").Single());
}
