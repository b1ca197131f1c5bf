using System.Text;
using ModeRefresh.Ingress.Keys;
using ModeRefresh.Ingress.Webhooks;

namespace ModeRefresh.Ingress.Tests.Unit;

// Expected values were computed outside .NET, e.g.
//   printf '%s' 'hello dbt' | openssl dgst -sha256 -hmac 'k3y-one'
public sealed class SignatureVerifierTests
{
    private const string Body = """{"eventId":"wev_1","eventType":"job.run.completed","data":{"jobId":"1"}}""";
    private const string BodySignedKeyOne = "847518cccf7f153be92dbf10bec42ce6f0caac93113d1b8a8b710adaa955a19c";
    private const string HelloSignedKeyOne = "80f8e190173632f128eae81907590c378c0f954aff22ff534030899041d81426";
    private const string HelloSignedSecondKey = "0613933364ac9b29aa9b1c3753e6a3ce0e8ceef10107c8b111a75bd40a7aa4b5";
    private const string EmptySignedKeyOne = "02847d182f5ec989f3a1a93482c92d5c1fce5c070ae99e428dd915c8f751f3db";

    private static readonly IReadOnlyList<byte[]> KeyOne = KeyListParser.Parse("k3y-one");

    [Theory]
    [InlineData(Body, BodySignedKeyOne)]
    [InlineData("hello dbt", HelloSignedKeyOne)]
    [InlineData("", EmptySignedKeyOne)]
    public void Verify_OpenSslVector_Accepted(string body, string signature) =>
        Assert.True(SignatureVerifier.Verify(Encoding.UTF8.GetBytes(body), signature, KeyOne));

    [Fact]
    public void Verify_UppercaseHex_Accepted() =>
        Assert.True(SignatureVerifier.Verify(Encoding.UTF8.GetBytes(Body), BodySignedKeyOne.ToUpperInvariant(), KeyOne));

    [Fact]
    public void Verify_SurroundingWhitespace_Accepted() =>
        Assert.True(SignatureVerifier.Verify(Encoding.UTF8.GetBytes(Body), $" {BodySignedKeyOne}\t", KeyOne));

    [Fact]
    public void Verify_SecondKeyOfSeveral_Accepted() =>
        Assert.True(SignatureVerifier.Verify(Encoding.UTF8.GetBytes("hello dbt"), HelloSignedSecondKey,
            KeyListParser.Parse("k3y-one, second-key")));

    [Fact]
    public void Verify_SignatureOfAnotherBody_Rejected() =>
        Assert.False(SignatureVerifier.Verify(Encoding.UTF8.GetBytes(Body), HelloSignedKeyOne, KeyOne));

    [Fact]
    public void Verify_BodyChangedByOneByte_Rejected() =>
        Assert.False(SignatureVerifier.Verify(Encoding.UTF8.GetBytes(Body.Replace("wev_1", "wev_2", StringComparison.Ordinal)), BodySignedKeyOne, KeyOne));

    [Fact]
    public void Verify_RightLengthWrongKey_Rejected() =>
        Assert.False(SignatureVerifier.Verify(Encoding.UTF8.GetBytes("hello dbt"), HelloSignedSecondKey, KeyOne));

    [Theory]
    [InlineData("")]
    [InlineData("847518cccf7f153be92dbf10bec42ce6f0caac93113d1b8a8b710adaa955a19")] // one char short
    [InlineData("847518cccf7f153be92dbf10bec42ce6f0caac93113d1b8a8b710adaa955a19c0")] // one char long
    [InlineData("847518cccf7f153be92dbf10bec42ce6f0caac93113d1b8a8b710adaa955a19c847518cc")]
    [InlineData("z47518cccf7f153be92dbf10bec42ce6f0caac93113d1b8a8b710adaa955a19c")] // not hex
    [InlineData("sha256=847518cccf7f153be92dbf10bec42ce6f0caac93113d1b8a8b710adaa955")]
    [InlineData("hKUYzM9/FTvpLb8QvsQs5vDKrJMRPRuKi3EK2qlVoZw=")] // the right bytes, base64
    public void Verify_MalformedSignature_Rejected(string signature) =>
        Assert.False(SignatureVerifier.Verify(Encoding.UTF8.GetBytes(Body), signature, KeyOne));

    [Fact]
    public void Verify_NoKeys_Rejected() =>
        Assert.False(SignatureVerifier.Verify(Encoding.UTF8.GetBytes(Body), BodySignedKeyOne, []));
}
