using System.Text;
using ModeRefresh.Ingress.Webhooks;

namespace ModeRefresh.Ingress.Tests.Unit;

public sealed class DbtPayloadParserTests
{
    private static bool Parse(string json, out Contracts.DbtRunEvent? evt, out string? error) =>
        DbtPayloadParser.TryParse(Encoding.UTF8.GetBytes(json), out evt, out error);

    [Fact]
    public void TryParse_StringIds_KeptAsStrings()
    {
        Assert.True(Parse(Samples.CompletedSuccess("wev_a", jobId: "123", runId: "456"), out var evt, out _));
        Assert.Equal("wev_a", evt!.EventId);
        Assert.Equal("job.run.completed", evt.EventType);
        Assert.Equal("123", evt.Data.JobId);
        Assert.Equal("456", evt.Data.RunId);
        Assert.Equal("1", evt.AccountId);
        Assert.Equal("wsu_12345abcde", evt.WebhookId);
        Assert.Equal(10, evt.Data.RunStatusCode);
        Assert.Equal("Success", evt.Data.RunStatus);
        Assert.Equal("2023-01-31T19:29:32Z", evt.Data.RunFinishedAt);
    }

    [Fact]
    public void TryParse_IdsWithSurroundingWhiteSpace_TrimmedAlike()
    {
        const string json = """
            {"accountId":" 43 ","eventId":" wev_t\n","eventType":" job.run.completed ","webhookId":" wsu_1 ",
             "data":{"jobId":"\t123 ","runId":" 42 ","environmentId":" 7","projectId":"8 "}}
            """;
        Assert.True(Parse(json, out var evt, out var error), error);
        Assert.Equal(("43", "wev_t", "job.run.completed", "wsu_1"), (evt!.AccountId, evt.EventId, evt.EventType, evt.WebhookId));
        Assert.Equal(("123", "42", "7", "8"), (evt.Data.JobId, evt.Data.RunId, evt.Data.EnvironmentId, evt.Data.ProjectId));
    }

    [Theory]
    [InlineData("eventId", "wev_1\\nFAKE ingress log line")]
    [InlineData("eventId", "wev_1\\r\\nwarn: forged")]
    [InlineData("eventType", "job.run.completed\\nx")]
    [InlineData("accountId", "1\\u0000")]
    [InlineData("webhookId", "wsu\\u001b[31m")]
    [InlineData("eventId", "wev\\u2028next")]
    public void TryParse_IdWithControlCharacterInside_RefusedNamingTheField(string field, string value)
    {
        var json = $$$"""{"eventId":"e","eventType":"job.run.completed","accountId":"1","webhookId":"w","{{{field}}}":"{{{value}}}","data":{}}""";

        Assert.False(Parse(json, out _, out var error));
        Assert.Equal($"field {field} must not contain control characters or line breaks", error);
    }

    [Theory]
    [InlineData("jobId")]
    [InlineData("runId")]
    [InlineData("environmentId")]
    public void TryParse_DataIdWithControlCharacterInside_Refused(string field)
    {
        var json = $$$"""{"eventId":"e","eventType":"job.run.completed","data":{"{{{field}}}":"12\n3"}}""";

        Assert.False(Parse(json, out _, out var error));
        Assert.Equal($"field {field} must not contain control characters or line breaks", error);
    }

    [Fact]
    public void TryParse_IdsOfWhiteSpaceOnly_MissingOrAbsent()
    {
        Assert.False(Parse("""{"eventId":"  ","eventType":"job.run.completed","data":{}}""", out _, out var error));
        Assert.Equal("missing or empty field: eventId", error);

        Assert.True(Parse("""{"eventId":"e","eventType":"job.run.completed","data":{"runId":" ","jobId":"\t"}}""", out var evt, out _));
        Assert.Null(evt!.Data.RunId);
        Assert.Null(evt.Data.JobId);
    }

    [Fact]
    public void TryParse_NumericIds_NormalizedToStrings()
    {
        const string json = """
            {"accountId":43,"eventId":"e","eventType":"job.run.completed",
             "data":{"jobId":123,"runId":9007199254740993,"environmentId":7,"projectId":8,"runStatusCode":10}}
            """;
        Assert.True(Parse(json, out var evt, out _));
        Assert.Equal("43", evt!.AccountId);
        Assert.Equal("123", evt.Data.JobId);
        Assert.Equal("9007199254740993", evt.Data.RunId); // past double precision: kept exactly
        Assert.Equal("7", evt.Data.EnvironmentId);
        Assert.Equal("8", evt.Data.ProjectId);
    }

    [Fact]
    public void TryParse_OldWebhooksIdSpelling_Accepted()
    {
        Assert.True(Parse("""{"webhooksID":"wsu_old","eventId":"e","eventType":"t","data":{}}""", out var evt, out _));
        Assert.Equal("wsu_old", evt!.WebhookId);
    }

    [Fact]
    public void TryParse_UnknownFields_Tolerated()
    {
        Assert.True(Parse("""{"eventId":"e","eventType":"t","future":{"x":[1,2]},"data":{"newThing":true}}""", out var evt, out _));
        Assert.Equal("e", evt!.EventId);
    }

    [Theory]
    [InlineData("""{"eventType":"t","data":{}}""", "eventId")]
    [InlineData("""{"eventId":"","eventType":"t","data":{}}""", "eventId")]
    [InlineData("""{"eventId":"e","data":{}}""", "eventType")]
    [InlineData("""{"eventId":"e","eventType":"t"}""", "data")]
    [InlineData("""{"eventId":"e","eventType":"t","data":"x"}""", "data")]
    [InlineData("""{"eventId":5,"eventType":"t","data":{}}""", "eventId")]
    [InlineData("""{"eventId":"e","eventType":"t","data":{"jobId":true}}""", "jobId")]
    [InlineData("""{"eventId":"e","eventType":"t","data":{"jobId":1.5}}""", "jobId")]
    [InlineData("""{"eventId":"e","eventType":"t","data":{"runStatusCode":"ten"}}""", "runStatusCode")]
    public void TryParse_MissingOrWrongField_ErrorNamesField(string json, string field)
    {
        Assert.False(Parse(json, out _, out var error));
        Assert.Contains(field, error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("""{"eventId":"e","eventType":"t","data":{}} trailing""")]
    public void TryParse_NotAJsonObject_Rejected(string json)
    {
        Assert.False(Parse(json, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void TryParse_DeepNesting_RejectedAsMalformed()
    {
        var bomb = "{\"eventId\":\"e\",\"eventType\":\"t\",\"data\":{},\"x\":" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.False(Parse(bomb, out _, out var error));
        Assert.Equal("malformed JSON", error);
    }

    [Fact]
    public void TryParse_InvalidUtf8InReadField_Rejected()
    {
        byte[] body = [.. "{\"eventId\":\""u8, 0xC3, 0x28, .. "\",\"eventType\":\"t\",\"data\":{}}"u8];
        Assert.False(DbtPayloadParser.TryParse(body, out _, out var error));
        Assert.Equal("body is not valid UTF-8", error);
    }

    [Fact]
    public void TryParse_InvalidUtf8InUnknownField_Rejected()
    {
        byte[] body = [.. "{\"eventId\":\"e\",\"x\":\""u8, 0xFF, .. "\",\"eventType\":\"t\",\"data\":{}}"u8];
        Assert.False(DbtPayloadParser.TryParse(body, out _, out var error));
        Assert.Equal("body is not valid UTF-8", error);
    }

    [Fact]
    public void TryParse_LoneSurrogateEscape_Rejected()
    {
        Assert.False(Parse("""{"eventId":"wev_\ud800","eventType":"t","data":{}}""", out _, out var error));
        Assert.StartsWith("malformed JSON", error, StringComparison.Ordinal);
    }
}
