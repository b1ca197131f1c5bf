using System.Text;
using System.Text.Json.Nodes;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>Other ways daprd (or a broker bridge) hands over the same event.</summary>
public sealed class EnvelopeVariantTests
{
    [Fact]
    public async Task Deliver_DataBase64Envelope_RunsReportOnce()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        var data = Convert.ToBase64String(Encoding.UTF8.GetBytes(DbtEvents.Completed(runId: "b64").ToJsonString()));
        var envelope = new JsonObject
        {
            ["id"] = "ce-b64",
            ["source"] = "ingress",
            ["type"] = "com.dapr.event.sent",
            ["specversion"] = "1.0",
            ["datacontenttype"] = "application/json",
            ["data_base64"] = data,
            ["topic"] = "dbt-job-run-completed",
            ["pubsubname"] = "pubsub",
        }.ToJsonString();

        var answer = await RefreshApp.AnswerOf(await app.PostEnvelopeAsync(envelope));

        Assert.Equal("SUCCESS", answer);
        Assert.Equal("/api/acme/reports/r1/runs", Assert.Single(app.Mode.Calls).Path);
    }

    [Fact]
    public async Task Deliver_RawPayloadWithoutEnvelope_RunsReportOnce()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        using var request = new HttpRequestMessage(HttpMethod.Post, RefreshApp.Route)
        {
            Content = new StringContent(DbtEvents.Completed(runId: "raw").ToJsonString(), Encoding.UTF8, "application/json"),
        };

        var answer = await RefreshApp.AnswerOf(await app.Client.SendAsync(request, TestContext.Current.CancellationToken));

        Assert.Equal("SUCCESS", answer);
        Assert.Single(app.Mode.Calls);
    }
}
