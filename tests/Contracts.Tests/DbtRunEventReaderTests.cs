using System.Text;
using System.Text.Json;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Contracts.Tests;

/// <summary>
/// The one reader of a dbt run event. The cases of Ingress's former DbtPayloadParserTests (a webhook body, subject
/// "body") and of Refresh's former DbtEventReaderTests (CloudEvent data, subject "data"), with the rule that is now
/// shared; the envelope cases stay with each service.
/// </summary>
public sealed class DbtRunEventReaderTests
{
    private static bool Parse(string json, out DbtRunEvent? evt, out string? error) =>
        DbtRunEventReader.TryRead(Encoding.UTF8.GetBytes(json), "body", out evt, out error);

    private static DbtRunEvent? ReadData(string json, out string? error) =>
        DbtRunEventReader.TryRead(Encoding.UTF8.GetBytes(json), "data", out var evt, out error) ? evt : null;

    // dbt's documented example (Refresh's former sample; the same text as DbtPayloads.CompletedBody gives).
    private static readonly string Sample = DbtPayloads.CompletedBody(eventId: "wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD");

    [Fact]
    public void TryRead_StringIds_KeptAsStrings()
    {
        Assert.True(Parse(DbtPayloads.CompletedBody("wev_a", jobId: "123", runId: "456"), out var evt, out _));
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
    public void TryRead_IdsWithSurroundingWhiteSpace_TrimmedAlike()
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
    public void TryRead_IdWithControlCharacterInside_RefusedNamingTheField(string field, string value)
    {
        var json = $$$"""{"eventId":"e","eventType":"job.run.completed","accountId":"1","webhookId":"w","{{{field}}}":"{{{value}}}","data":{}}""";

        Assert.False(Parse(json, out _, out var error));
        Assert.Equal($"field {field} must not contain control characters or line breaks", error);
    }

    [Theory]
    [InlineData("jobId")]
    [InlineData("runId")]
    [InlineData("environmentId")]
    public void TryRead_DataIdWithControlCharacterInside_Refused(string field)
    {
        var json = $$$"""{"eventId":"e","eventType":"job.run.completed","data":{"{{{field}}}":"12\n3"}}""";

        Assert.False(Parse(json, out _, out var error));
        Assert.Equal($"field {field} must not contain control characters or line breaks", error);
    }

    [Fact]
    public void TryRead_IdsOfWhiteSpaceOnly_MissingOrAbsent()
    {
        Assert.False(Parse("""{"eventId":"  ","eventType":"job.run.completed","data":{}}""", out _, out var error));
        Assert.Equal("missing or empty field: eventId", error);

        Assert.True(Parse("""{"eventId":"e","eventType":"job.run.completed","data":{"runId":" ","jobId":"\t"}}""", out var evt, out _));
        Assert.Null(evt!.Data.RunId);
        Assert.Null(evt.Data.JobId);
    }

    [Fact]
    public void TryRead_NumericIds_NormalizedToStrings()
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
    public void TryRead_OldWebhooksIdSpelling_Accepted()
    {
        Assert.True(Parse("""{"webhooksID":"wsu_old","eventId":"e","eventType":"t","data":{}}""", out var evt, out _));
        Assert.Equal("wsu_old", evt!.WebhookId);
    }

    [Fact]
    public void TryRead_UnknownFields_Tolerated()
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
    public void TryRead_MissingOrWrongField_ErrorNamesField(string json, string field)
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
    public void TryRead_NotAJsonObject_Rejected(string json)
    {
        Assert.False(Parse(json, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void TryRead_DeepNesting_RejectedAsMalformed()
    {
        var bomb = "{\"eventId\":\"e\",\"eventType\":\"t\",\"data\":{},\"x\":" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.False(Parse(bomb, out _, out var error));
        Assert.Equal("malformed JSON", error);
    }

    [Fact]
    public void TryRead_InvalidUtf8InReadField_Rejected()
    {
        byte[] body = [.. "{\"eventId\":\""u8, 0xC3, 0x28, .. "\",\"eventType\":\"t\",\"data\":{}}"u8];
        Assert.False(DbtRunEventReader.TryRead(body, "body", out _, out var error));
        Assert.Equal("body is not valid UTF-8", error);
    }

    [Fact]
    public void TryRead_InvalidUtf8InUnknownField_Rejected()
    {
        byte[] body = [.. "{\"eventId\":\"e\",\"x\":\""u8, 0xFF, .. "\",\"eventType\":\"t\",\"data\":{}}"u8];
        Assert.False(DbtRunEventReader.TryRead(body, "body", out _, out var error));
        Assert.Equal("body is not valid UTF-8", error);
    }

    [Fact]
    public void TryRead_LoneSurrogateEscape_Rejected()
    {
        Assert.False(Parse("""{"eventId":"wev_\ud800","eventType":"t","data":{}}""", out _, out var error));
        Assert.StartsWith("malformed JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_SampleAsData_ReadsIdsAndStatus()
    {
        var evt = ReadData(Sample, out var error);

        Assert.Null(error);
        Assert.NotNull(evt);
        Assert.Equal("wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD", evt.EventId);
        Assert.Equal("1", evt.AccountId); // a number in dbt's payload
        Assert.Equal("123", evt.Data.JobId);
        Assert.Equal("12345", evt.Data.RunId);
        Assert.Equal(10, evt.Data.RunStatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{\"eventId\":\"x\"}")]
    [InlineData("{\"eventId\":\"x\",\"eventType\":\"job.run.completed\",\"data\":{\"jobId\":{}}}")]
    public void TryRead_DataNotAnEvent_NullWithReason(string body)
    {
        var evt = ReadData(body, out var error);

        Assert.Null(evt);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void TryRead_DataIdsWithSurroundingWhitespace_Trimmed()
    {
        var body = Sample.Replace("\"runId\":\"12345\"", "\"runId\":\" 12345\\t\"", StringComparison.Ordinal)
            .Replace("\"jobId\":\"123\"", "\"jobId\":\" 123 \"", StringComparison.Ordinal)
            .Replace("\"eventId\":\"wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD\"", "\"eventId\":\"  wev_2L6 \"", StringComparison.Ordinal);

        var evt = ReadData(body, out var error);

        Assert.Null(error);
        Assert.Equal(("wev_2L6", "123", "12345"), (evt!.EventId, evt.Data.JobId, evt.Data.RunId));
    }

    // Refresh said "eventId contains a control character" / "data.runId …" / "eventId is empty" before the reader
    // was shared; the shared reader names the field in Ingress's words (what dbt is answered with).
    [Theory]
    [InlineData("\"eventId\":\"wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD\"", "\"eventId\":\"wev_1\\nfail: forged\"", "field eventId must not contain control characters or line breaks")]
    [InlineData("\"runId\":\"12345\"", "\"runId\":\"123\\u001b[31m45\"", "field runId must not contain control characters or line breaks")]
    [InlineData("\"jobId\":\"123\"", "\"jobId\":\"12\\r3\"", "field jobId must not contain control characters or line breaks")]
    [InlineData("\"eventId\":\"wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD\"", "\"eventId\":\"   \"", "missing or empty field: eventId")]
    public void TryRead_DataIdWithControlCharacterOrEmpty_NullWithReasonNamingTheField(string original, string replacement, string expected)
    {
        Assert.Contains(original, Sample, StringComparison.Ordinal);

        var evt = ReadData(Sample.Replace(original, replacement, StringComparison.Ordinal), out var error);

        Assert.Null(evt);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryRead_WhatIngressPublishes_ReadsBackTheSameEvent()
    {
        Assert.True(Parse(Sample, out var sent, out var error), error);
        var published = JsonSerializer.SerializeToUtf8Bytes(sent, ContractsJsonContext.Default.DbtRunEvent);

        var received = ReadData(Encoding.UTF8.GetString(published), out error);

        Assert.Null(error);
        Assert.Equal(sent, received); // records: every field, data's included
    }

    [Fact]
    public void TryRead_WholeInputWrong_ErrorNamesTheSubject()
    {
        Assert.False(DbtRunEventReader.TryRead("[1]"u8.ToArray(), "data", out _, out var error));
        Assert.Equal("data must be a JSON object", error);

        Assert.False(DbtRunEventReader.TryRead(new byte[] { 0xFF }, "body", out _, out error));
        Assert.Equal("body is not valid UTF-8", error);
    }
}
