using System.Text;
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
    public void Parse_SeparatedKeys_EachKeyOnce(string value, string[] expected) =>
        Assert.Equal(expected, KeyListParser.Parse(value).Select(Encoding.UTF8.GetString));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \n ,, ")]
    public void Parse_Blank_NoKeys(string? value) => Assert.Empty(KeyListParser.Parse(value));

    [Fact]
    public void Parse_NonAsciiKey_Utf8Bytes() =>
        Assert.Equal([0x63, 0x6C, 0xC3, 0xA9], KeyListParser.Parse("clé").Single());
}
