using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class SuccessPathTests
{
    [Fact]
    public async Task Deliver_SuccessfulRunWithConfiguredReport_ModeReceivesExactRequestOnce()
    {
        var settings = RefreshApp.Merge(
            RefreshApp.Report(0, "5f1e2d3c4b5a", "123"),
            new Dictionary<string, string?>
            {
                ["Refresh:Reports:0:Parameters:region"] = "EU",
                ["Refresh:Reports:0:Parameters:segments:0"] = "smb",
                ["Refresh:Reports:0:Parameters:segments:1"] = "enterprise",
            });
        await using var app = await RefreshApp.StartAsync(settings);

        var answer = await app.DeliverAsync(DbtEvents.Completed(), "ce-success-1");

        Assert.Equal("SUCCESS", answer);
        var call = Assert.Single(app.Mode.Calls);
        Assert.Equal("POST", call.Method);
        Assert.Equal("/api/acme/reports/5f1e2d3c4b5a/runs", call.Path);
        Assert.Equal(RefreshApp.BasicHeader().ToString(), call.Authorization);
        Assert.Equal("application/hal+json", call.Accept);
        Assert.Equal("application/json", call.ContentType);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"parameters":{"region":"EU","segments":["smb","enterprise"]}}"""),
            JsonNode.Parse(call.Body)), call.Body);
        Assert.Equal(202, call.StatusCode);
    }

    [Fact]
    public async Task Deliver_TemplateParameters_ModeReceivesTheRunsValues()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?>
            {
                ["Refresh:Reports:0:Parameters:dbt_run"] = "{runId}",
                ["Refresh:Reports:0:Parameters:label"] = "{environmentName} at {runFinishedAt}",
            }));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(runId: "777"), "ce-template"));

        var call = Assert.Single(app.Mode.Calls);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"parameters":{"dbt_run":"777","label":"Production at 2023-01-31T19:29:32Z"}}"""),
            JsonNode.Parse(call.Body)), call.Body);
    }

    [Fact]
    public async Task Deliver_ReportWithoutParameters_SendsEmptyParametersObject()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Equal("""{"parameters":{}}""", Assert.Single(app.Mode.Calls).Body);
    }

    [Fact]
    public async Task Deliver_Accepted_RecordsDoneWithTokenAndTtlAndPublishesAcceptedRun()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(runId: "777")));

        var run = Assert.Single(app.Mode.Runs);
        var stored = app.Sidecar.GetStateSnapshot("statestore")["mode-run:acme:r1:777"];
        Assert.Equal("604800", stored.Metadata["ttlInSeconds"]);
        var record = app.Record("r1", "777")!;
        Assert.Equal("done", record["status"]!.GetValue<string>());
        Assert.Equal(run.RunToken, record["modeRunToken"]!.GetValue<string>());

        var published = await app.Sidecar.WaitForPublishAsync(m => m.Topic == "mode-report-runs", TimeSpan.FromSeconds(5));
        Assert.Equal("pubsub", published.PubsubName);
        var accepted = JsonSerializer.Deserialize<JsonObject>(published.Data)!;
        Assert.Equal("777", accepted["runId"]!.GetValue<string>());
        Assert.Equal("123", accepted["jobId"]!.GetValue<string>());
        Assert.Equal("r1", accepted["report"]!.GetValue<string>());
        Assert.Equal("acme", accepted["workspace"]!.GetValue<string>());
        Assert.Equal(run.RunToken, accepted["modeRunToken"]!.GetValue<string>());
        Assert.Equal("enqueued", accepted["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deliver_PublishOfAcceptedRunFails_StillSuccessAndRunNotRepeated()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Sidecar.FailAlways("PublishEvent", Grpc.Core.StatusCode.Unavailable);

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Single(app.Mode.Runs);
        Assert.True(app.Logs.Contains(LogLevel.Error, "Could not publish accepted Mode run acme/r1"));
    }
}
