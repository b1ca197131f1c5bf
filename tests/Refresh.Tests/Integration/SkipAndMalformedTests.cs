using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class SkipAndMalformedTests
{
    [Theory]
    [InlineData("job.run.completed", "Errored", 20)]
    [InlineData("job.run.completed", "Success", 20)]
    [InlineData("job.run.completed", "Errored", 10)]
    [InlineData("job.run.errored", "Errored", 20)]
    [InlineData("job.run.started", "Running", 3)]
    public async Task Deliver_RunThatDidNotSucceed_SuccessWithoutModeCall(string eventType, string status, int code)
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));

        var answer = await app.DeliverAsync(DbtEvents.Completed(eventType: eventType, runStatus: status, runStatusCode: code));

        Assert.Equal("SUCCESS", answer);
        Assert.Empty(app.Mode.Calls);
        Assert.True(app.Logs.Contains(LogLevel.Information, "Skipping event wev_1"));
    }

    [Fact]
    public async Task Deliver_JobWithoutReport_SuccessWithoutModeCallAndLogged()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "456"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(jobId: "123")));

        Assert.Empty(app.Mode.Calls);
        Assert.True(app.Logs.Contains(LogLevel.Information, "no report configured for job 123"));
    }

    public static TheoryData<string, string> MalformedData => new()
    {
        { "string", "\"not an event\"" },
        { "number", "42" },
        { "empty object", "{}" },
        { "no data", """{"eventId":"wev_x","eventType":"job.run.completed"}""" },
        { "data not an object", """{"eventId":"wev_x","eventType":"job.run.completed","data":[1,2]}""" },
        { "null", "null" },
    };

    [Theory]
    [MemberData(nameof(MalformedData))]
    public async Task Deliver_MalformedData_DropAndErrorLogNamingEventId(string label, string data)
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));

        var answer = await app.DeliverAsync(JsonNode.Parse(data), $"ce-bad-{label.Replace(' ', '-')}");

        Assert.Equal("DROP", answer);
        Assert.Empty(app.Mode.Calls);
        Assert.True(app.Logs.Contains(LogLevel.Error, $"Dropping event ce-bad-{label.Replace(' ', '-')}"),
            string.Join("\n", app.Logs.Lines.Select(l => l.Message)));
    }

    [Fact]
    public async Task Deliver_EnvelopeWithoutData_Drop()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));

        using var response = await app.PostEnvelopeAsync(DbtEvents.Envelope(null, "ce-nodata", omitData: true));

        Assert.Equal("DROP", await RefreshApp.AnswerOf(response));
        Assert.True(app.Logs.Contains(LogLevel.Error, "Dropping event ce-nodata: data is missing"));
    }

    [Fact]
    public async Task Deliver_EnvelopeNotJson_DropNotAnErrorPage()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));

        using var response = await app.PostEnvelopeAsync("{this is not json");

        Assert.Equal("DROP", await RefreshApp.AnswerOf(response));
        Assert.Empty(app.Mode.Calls);
    }

    [Fact]
    public async Task Deliver_MissingRunId_Drop()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));
        var evt = DbtEvents.Completed();
        evt["data"]!.AsObject().Remove("runId");

        Assert.Equal("DROP", await app.DeliverAsync(evt));
        Assert.Empty(app.Mode.Calls);
    }

    [Fact]
    public async Task Deliver_IdsAsNumbersAsDbtSometimesSends_RunsReport()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        var evt = DbtEvents.Completed();
        evt["accountId"] = 1;
        evt["data"]!["jobId"] = 123;
        evt["data"]!["runId"] = 12345;

        Assert.Equal("SUCCESS", await app.DeliverAsync(evt));
        Assert.Single(app.Mode.Runs);
        Assert.NotNull(app.Record("r1", "12345"));
    }

    [Fact]
    public async Task Deliver_RawPayloadWithoutEnvelope_RunsReport()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        using var response = await app.Client.PostAsync(RefreshApp.Route,
            new StringContent(DbtEvents.Completed().ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal("SUCCESS", await RefreshApp.AnswerOf(response));
        Assert.Single(app.Mode.Runs);
    }

    [Fact]
    public async Task Deliver_RunIdWithSurroundingWhitespace_SameRunAsTrimmed()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_a", runId: " 777 ")));
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_b", runId: "777")));

        Assert.Single(app.Mode.Runs);
        Assert.NotNull(app.Record("r1", "777"));
    }

    [Theory]
    [InlineData("wev_1\nfail: Refresh[1] forged line", "123", "x")]
    [InlineData("wev_1", "123", "run\r\ninfo: forged")]
    public async Task Deliver_IdsWithLineBreaks_DropAndNoLogLineCarriesALineBreak(string eventId, string jobId, string runId)
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));

        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed(eventId: eventId, jobId: jobId, runId: runId), "ce-forge"));

        Assert.Empty(app.Mode.Calls);
        Assert.True(app.Logs.Contains(LogLevel.Error, "Dropping event ce-forge: "), string.Join("\n", app.Logs.Lines.Select(l => l.Message)));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Message.Contains('\n') || l.Message.Contains('\r'));
    }

    // The shared reader (services/Contracts DbtRunEventReader) refuses an event type with a line break, as Ingress
    // always did; Refresh used to skip it as an unknown type (SUCCESS). Either way no report runs and no log line breaks.
    [Fact]
    public async Task Deliver_TypeWithLineBreak_DropAndNoLogLineCarriesALineBreak()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));

        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed(eventType: "job.run.started\nfail: forged"), "ce-type"));

        Assert.Empty(app.Mode.Calls);
        Assert.True(app.Logs.Contains(LogLevel.Error, "Dropping event ce-type: field eventType must not contain control characters or line breaks"),
            string.Join("\n", app.Logs.Lines.Select(l => l.Message)));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Message.Contains('\n'));
    }
}
