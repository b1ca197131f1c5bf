using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ModeRefresh.EndToEnd.Tests.Harness;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>
/// Issue 13's "done when": a signed webhook for each scenario of ../shared/dbt-cloud/artifacts/README.md (rebuilt in
/// every clone by <see cref="AcmeProject"/>) through Ingress, the stand-in sidecars and Refresh with
/// Exposures:Enabled=true and a fake dbt Cloud starts exactly the Mode runs that README expects, once each.
/// </summary>
public sealed class ExposureTests
{
    private const string DbtToken = "dbtc_e2e-token-0123456789";
    private const string UnroutedJob = "777"; // no configured route matches: only exposures decide

    public static TheoryData<string, bool, string[]> Scenarios => new()
    {
        { "full-build", false, ["acme/4f2a9c1b7e3d", "acme/9b8c7d6e5f4a", "acme-finance/0a1b2c3d4e5f", "acme/1c2d3e4f5a6b"] },
        { "staging-only", false, ["acme/1c2d3e4f5a6b"] },
        { "fct-orders-failed", false, [] },
        { "fct-orders-failed", true, ["acme/1c2d3e4f5a6b"] },
        { "two-steps", false, ["acme/4f2a9c1b7e3d", "acme-finance/0a1b2c3d4e5f", "acme/1c2d3e4f5a6b"] },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Webhook_SharedScenarioWithExposures_StartsExactlyTheExpectedModeRunsOnceEach(string scenario, bool includeErrored, string[] expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dbtCloud = await FakeDbtCloudServer.StartAsync(DbtToken, AcmeProject.AccountId, ct);
        var run = AcmeProject.Scenario(scenario);
        dbtCloud.AddRun(run);
        await using var system = await EndToEndSystem.StartAsync(new Dictionary<string, string?>
        {
            ["Exposures__Enabled"] = "true",
            ["Exposures__IncludeErroredRuns"] = includeErrored ? "true" : "false",
            ["DbtCloud__BaseUrl"] = dbtCloud.BaseUrl,
        });
        system.RefreshSidecar.SetSecret("secretstore", "DBT_CLOUD_API_TOKEN", DbtToken);
        var runId = run.RunId.ToString(CultureInfo.InvariantCulture);
        var body = Payload("wev_exp_" + scenario, runId, errored: run.Status == 20);

        // dbt's retry of the same webhook: a second publish of the same event.
        for (var i = 0; i < 2; i++)
        {
            using var response = await system.SendAsync(body);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await system.Broker.WaitForDeliveriesAsync(d => d.Count(x => x.Answer == StandInAnswer.Success) == 2, ModeChecks.Patience);
        Assert.Equal(expected.Order(StringComparer.Ordinal), system.Mode.Runs.Select(r => $"{r.Workspace}/{r.Report}").Order(StringComparer.Ordinal));
        Assert.Equal(expected.Length, system.Mode.Calls.Count(c => c.Method == "POST"));
        Assert.All(system.Mode.Calls, c => Assert.True(c.AuthOk, c.Path));
        Assert.All(dbtCloud.Calls, c => Assert.Equal(("Token", true), (c.AuthScheme, c.AuthOk)));
        Assert.Empty(system.Broker.MessagesOn(EndToEndSystem.DeadLetterTopic));

        var decision = await DecisionAsync(system, runId);
        Assert.Equal(scenario == "fct-orders-failed" && !includeErrored ? "not-eligible" : "decided", decision["outcome"]!.GetValue<string>());
        Assert.StartsWith($"dbt run {runId}: ", decision["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(system.Refresh.Output, l => l.Contains($"Exposures of event wev_exp_{scenario} (dbt run {runId})", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Webhook_ExposuresOff_ConfiguredRoutesOnlyAndDbtCloudNeverCalled()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dbtCloud = await FakeDbtCloudServer.StartAsync(DbtToken, AcmeProject.AccountId, ct);
        dbtCloud.AddRun(AcmeProject.Scenario("full-build"));
        await using var system = await EndToEndSystem.StartAsync(new Dictionary<string, string?> { ["DbtCloud__BaseUrl"] = dbtCloud.BaseUrl });
        system.RefreshSidecar.SetSecret("secretstore", "DBT_CLOUD_API_TOKEN", DbtToken);

        var body = Payload("wev_exp_off", "70001", errored: false, jobId: "123");
        using (var response = await system.SendAsync(body))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await system.WaitSettledAsync("wev_exp_off");
        Assert.Equal(new Dictionary<string, int> { ["report-a"] = 1, ["report-b"] = 1 }, ModeChecks.AcceptedPerReport(system.Mode));
        Assert.Empty(dbtCloud.Calls);
    }

    private static string Payload(string eventId, string runId, bool errored, string jobId = UnroutedJob)
    {
        var payload = Webhooks.Payload(eventId, jobId, runId, runStatus: errored ? "Errored" : "Success", runStatusCode: errored ? 20 : 10);
        payload["accountId"] = AcmeProject.AccountId;
        return payload.ToJsonString();
    }

    private static async Task<JsonObject> DecisionAsync(EndToEndSystem system, string runId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/runs/{runId}/decision");
        request.Headers.Add("dapr-api-token", EndToEndSystem.AppToken);
        using var response = await system.Refresh.Client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
    }
}
