using System.Text;
using ModeRefresh.Refresh.Subscription;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class DbtEventReaderTests
{
    private const string Sample =
        """{"accountId":1,"webhookId":"wsu_12345abcde","eventId":"wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD","timestamp":"2023-01-31T19:29:35.789265936Z","eventType":"job.run.completed","webhookName":"test","data":{"jobId":"123","jobName":"Daily Job (dbt build)","runId":"12345","environmentId":"1234","environmentName":"Production","dbtVersion":"1.0.0","projectName":"Snowflake Github Demo","projectId":"167194","runStatus":"Success","runStatusCode":10,"runStatusMessage":"None","runReason":"Kicked off from the UI by test@test.com","runStartedAt":"2023-01-31T19:28:07Z","runFinishedAt":"2023-01-31T19:29:32Z"}}""";

    [Fact]
    public void TryParse_DbtSamplePayload_ReadsIdsAndStatus()
    {
        var evt = DbtEventReader.TryParse(Encoding.UTF8.GetBytes(Sample), out var error);

        Assert.Null(error);
        Assert.NotNull(evt);
        Assert.Equal("wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD", evt.EventId);
        Assert.Equal("1", evt.AccountId); // a number in dbt's payload
        Assert.Equal("123", evt.Data.JobId);
        Assert.Equal("12345", evt.Data.RunId);
        Assert.Equal(10, evt.Data.RunStatusCode);
    }

    [Fact]
    public void TryParse_EventSentAsJsonString_Unwrapped()
    {
        var wrapped = System.Text.Json.JsonSerializer.Serialize(Sample);

        var evt = DbtEventReader.TryParse(Encoding.UTF8.GetBytes(wrapped), out _);

        Assert.Equal("12345", evt?.Data.RunId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{\"eventId\":\"x\"}")]
    [InlineData("{\"eventId\":\"x\",\"eventType\":\"job.run.completed\",\"data\":{\"jobId\":{}}}")]
    public void TryParse_NotAnEvent_NullWithReason(string body)
    {
        var evt = DbtEventReader.TryParse(Encoding.UTF8.GetBytes(body), out var error);

        Assert.Null(evt);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void TryParse_IdsWithSurroundingWhitespace_Trimmed()
    {
        var body = Sample.Replace("\"runId\":\"12345\"", "\"runId\":\" 12345\\t\"", StringComparison.Ordinal)
            .Replace("\"jobId\":\"123\"", "\"jobId\":\" 123 \"", StringComparison.Ordinal)
            .Replace("\"eventId\":\"wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD\"", "\"eventId\":\"  wev_2L6 \"", StringComparison.Ordinal);

        var evt = DbtEventReader.TryParse(Encoding.UTF8.GetBytes(body), out var error);

        Assert.Null(error);
        Assert.Equal(("wev_2L6", "123", "12345"), (evt!.EventId, evt.Data.JobId, evt.Data.RunId));
    }

    [Theory]
    [InlineData("\"eventId\":\"wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD\"", "\"eventId\":\"wev_1\\nfail: forged\"", "eventId contains a control character")]
    [InlineData("\"runId\":\"12345\"", "\"runId\":\"123\\u001b[31m45\"", "data.runId contains a control character")]
    [InlineData("\"jobId\":\"123\"", "\"jobId\":\"12\\r3\"", "data.jobId contains a control character")]
    [InlineData("\"eventId\":\"wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD\"", "\"eventId\":\"   \"", "eventId is empty")]
    public void TryParse_IdWithControlCharacterOrEmpty_NullWithReasonNamingTheField(string original, string replacement, string expected)
    {
        var evt = DbtEventReader.TryParse(Encoding.UTF8.GetBytes(Sample.Replace(original, replacement, StringComparison.Ordinal)), out var error);

        Assert.Null(evt);
        Assert.Equal(expected, error);
    }
}
