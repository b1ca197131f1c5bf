using System.Text.Json.Nodes;
using Dapr.Client.Autogen.Grpc.v1;
using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// Exposure-driven refresh in the delivery flow: the shared README's scenarios (../shared/dbt-cloud/artifacts/README.md,
/// rebuilt by <see cref="AcmeProject"/>) through the stand-in sidecar, a fake Mode and a fake dbt Cloud.
/// </summary>
public sealed class ExposureRoutingTests
{
    private const string WeeklyRevenue = "acme/4f2a9c1b7e3d";
    private const string CustomerHealth = "acme/9b8c7d6e5f4a";
    private const string ExecSummary = "acme-finance/0a1b2c3d4e5f";
    private const string OpsNotebook = "acme/1c2d3e4f5a6b";

    public static TheoryData<string, bool, string[]> Scenarios => new()
    {
        { "full-build", false, [CustomerHealth, OpsNotebook, WeeklyRevenue, ExecSummary] },
        { "staging-only", false, [OpsNotebook] },
        { "fct-orders-failed", false, [] },
        { "fct-orders-failed", true, [OpsNotebook] },
        { "two-steps", false, [OpsNotebook, WeeklyRevenue, ExecSummary] },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Deliver_SharedScenario_StartsExactlyTheExpectedModeRunsOnceEach(string scenario, bool includeErrored, string[] expected)
    {
        await using var rig = await ExposureRig.StartAsync(new Dictionary<string, string?>
        {
            ["Exposures:IncludeErroredRuns"] = includeErrored ? "true" : "false",
        });

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event(scenario, "wev_first")));
        // A redelivery and dbt's own retry of the webhook (another CloudEvent id) start nothing new.
        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event(scenario, "wev_first")));
        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event(scenario, "wev_retry")));

        Assert.Equal(expected.Order(StringComparer.Ordinal), rig.ModeRuns());
        Assert.Equal(expected.Length, rig.App.Mode.Calls.Count(c => c.Method == "POST"));
        if (expected.Contains(ExecSummary))
        {
            // meta.mode's parameters, JSON types kept.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"region":"EU","segments":["smb","enterprise"]}"""),
                rig.App.Mode.Runs.First(r => r.Report == "0a1b2c3d4e5f").Parameters));
        }

        var runId = AcmeProject.Scenario(scenario).RunId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (status, decision) = await rig.DecisionAsync(runId);
        Assert.Equal(200, status);
        if (scenario == "fct-orders-failed" && !includeErrored)
        {
            Assert.Equal("not-eligible", decision!["outcome"]!.GetValue<string>());
            Assert.Contains("Exposures:IncludeErroredRuns is false", decision["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Empty(rig.DbtCloud.Calls); // decided from the webhook alone
        }
        else
        {
            Assert.Equal("decided", decision!["outcome"]!.GetValue<string>());
            Assert.Equal(expected.Order(StringComparer.Ordinal), decision["exposureReports"]!.AsArray().Select(n => n!.GetValue<string>()).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task Deliver_FctOrdersFailedWithErroredRunsIncluded_ExplainsTheBlockedExposures()
    {
        await using var rig = await ExposureRig.StartAsync(new Dictionary<string, string?> { ["Exposures:IncludeErroredRuns"] = "true" });

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("fct-orders-failed")));

        var line = Assert.Single(rig.App.Logs.Lines, l => l.Message.StartsWith("Exposures of event wev_exp (dbt run 70003): decided:", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Contains("Blocked 3", line.Message, StringComparison.Ordinal);
        Assert.Contains("weekly_revenue by fct_revenue_daily (skipped)", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line.Message);
    }

    [Fact]
    public async Task Deliver_ErroredRunWithConfiguredRoute_ConfiguredRouteKeepsSkippingErroredRuns()
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "conf1", "123"),
            new Dictionary<string, string?> { ["Exposures:IncludeErroredRuns"] = "true" }));

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("fct-orders-failed")));

        Assert.Equal([OpsNotebook], rig.ModeRuns());
    }

    [Fact]
    public async Task Deliver_ConfiguredRouteAndExposuresOverlap_UnionRunsEachReportOnceWithTheRoutesParameters()
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "conf1", "123"),
            RefreshApp.Report(1, "9b8c7d6e5f4a", "123"), // customer_health's report, with other parameters
            new Dictionary<string, string?> { ["Refresh:Reports:1:Parameters:region"] = "US" }));

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("full-build")));
        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("full-build")));

        Assert.Equal(new[] { "acme/conf1", CustomerHealth, OpsNotebook, WeeklyRevenue, ExecSummary }.Order(StringComparer.Ordinal), rig.ModeRuns());
        Assert.Equal("""{"parameters":{"region":"US"}}""", rig.App.Mode.Runs.Single(r => r.Report == "9b8c7d6e5f4a").Body);
        // Once per delivery, naming the report.
        Assert.Equal(2, rig.App.Logs.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains("run with the route's: acme/9b8c7d6e5f4a", StringComparison.Ordinal)));
        var (_, decision) = await rig.DecisionAsync("70001");
        Assert.Equal([CustomerHealth], decision!["configuredWins"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Deliver_SameParametersOnRouteAndExposure_NoWarning()
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Report(0, "9b8c7d6e5f4a", "123"));

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("full-build")));

        Assert.Single(rig.App.Mode.Runs, r => r.Report == "9b8c7d6e5f4a");
        Assert.DoesNotContain(rig.App.Logs.Lines, l => l.Message.Contains("run with the route's", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task Deliver_TokenRefused_DropsWithReasonNamingTheSecretAndConfiguredRoutesStillRun(int status)
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Report(0, "conf1", "123"));
        if (status == 401)
        {
            rig.App.Sidecar.SetSecret("secretstore", ExposureRig.TokenSecret, "dbtc_a-stale-token");
        }
        else
        {
            rig.DbtCloud.Enqueue(FakeDbtCloudResponse.Status(403, "forbidden"), FakeDbtCloudTarget.Run);
        }

        Assert.Equal("DROP", await rig.App.DeliverAsync(ExposureRig.Event("full-build", "wev_refused")));

        Assert.Equal(["acme/conf1"], rig.ModeRuns());
        var reason = rig.Reason("wev_refused");
        Assert.NotNull(reason);
        Assert.Contains($"secret '{ExposureRig.TokenSecret}' (DbtCloud:TokenSecretName)", reason, StringComparison.Ordinal);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), reason, StringComparison.Ordinal);
        Assert.DoesNotContain("dbtc_a-stale-token", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(rig.App.Logs.Lines, l => l.Message.Contains("dbtc_", StringComparison.Ordinal));
        var (_, decision) = await rig.DecisionAsync("70001");
        Assert.Equal("permanent", decision!["outcome"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Deliver_DbtCloudFailsForNow_ConfiguredRoutesRunAndRetryRunsTheExposuresOnce(int status)
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Report(0, "conf1", "123"));
        rig.DbtCloud.Enqueue(status == 429 ? FakeDbtCloudResponse.TooManyRequests() : FakeDbtCloudResponse.Status(status, "down"), FakeDbtCloudTarget.Manifest);

        Assert.Equal("RETRY", await rig.App.DeliverAsync(ExposureRig.Event("full-build", "wev_flaky")));
        Assert.Equal(["acme/conf1"], rig.ModeRuns());
        Assert.Contains("exposures could not be read yet", rig.Reason("wev_flaky"), StringComparison.Ordinal);

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("full-build", "wev_flaky")));
        Assert.Equal(new[] { "acme/conf1", CustomerHealth, OpsNotebook, WeeklyRevenue, ExecSummary }.Order(StringComparer.Ordinal), rig.ModeRuns());
    }

    [Fact]
    public async Task Deliver_DbtCloudSlowerThanTheLineageBudget_ConfiguredRoutesRunAndRetry()
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "conf1", "123"),
            new Dictionary<string, string?> { ["Subscription:DeliveryBudget"] = "00:00:02", ["DbtCloud:AttemptTimeout"] = "00:00:20", ["DbtCloud:RequestTimeout"] = "00:00:30" }));
        rig.DbtCloud.Enqueue(FakeDbtCloudResponse.Hang, FakeDbtCloudTarget.Run);

        Assert.Equal("RETRY", await rig.App.DeliverAsync(ExposureRig.Event("full-build", "wev_slow")));

        Assert.Equal(["acme/conf1"], rig.ModeRuns());
        Assert.Contains("lineage budget (00:00:01, half of Subscription:DeliveryBudget)", rig.Reason("wev_slow"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_RunWithoutArtifacts_ConfiguredRoutesOnlyAndSaysSo()
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Report(0, "conf1", "123"));
        rig.DbtCloud.AddRun(new FakeDbtRun(AcmeProject.AccountId, 70001, 10, FakeDbtRun.PlatformSteps)); // every artifact 404s

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("full-build")));

        Assert.Equal(["acme/conf1"], rig.ModeRuns());
        Assert.Contains(rig.DbtCloud.Calls, c => c.Target == FakeDbtCloudTarget.RunResults && c.StatusCode == 404);
        var (_, decision) = await rig.DecisionAsync("70001");
        Assert.Equal("no-artifacts", decision!["outcome"]!.GetValue<string>());
        Assert.Contains("only configured routes apply", decision["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_UnparsableManifest_DeadLetterWithReasonAndConfiguredRoutesStillRun()
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Report(0, "conf1", "123"));
        var run = AcmeProject.Scenario("full-build");
        var broken = FakeArtifact.FromBytes("{\"metadata\": {\"dbt_schema_version\": "u8.ToArray());
        rig.DbtCloud.AddRun(run with { Steps = [.. run.Steps.Select(s => s.Manifest is null ? s : s with { Manifest = broken })] });

        Assert.Equal("DROP", await rig.App.DeliverAsync(ExposureRig.Event("full-build", "wev_broken")));

        Assert.Equal(["acme/conf1"], rig.ModeRuns());
        Assert.Contains("manifest.json", rig.Reason("wev_broken"), StringComparison.Ordinal);
        Assert.True(rig.App.Logs.Contains(LogLevel.Error, "Exposures of event wev_broken (dbt run 70001): permanent:"));
    }

    [Fact]
    public async Task Deliver_TokenSecretMissing_RetryWithReasonNamingTheSecretOnlyAndConfiguredRoutesRun()
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "conf1", "123"),
            new Dictionary<string, string?> { ["DbtCloud:TokenSecretName"] = "my-dbt-token" }), storeToken: false);

        Assert.Equal("RETRY", await rig.App.DeliverAsync(ExposureRig.Event("full-build", "wev_nosecret")));

        Assert.Equal(["acme/conf1"], rig.ModeRuns());
        Assert.Contains("secret 'my-dbt-token' (DbtCloud:TokenSecretName)", rig.Reason("wev_nosecret"), StringComparison.Ordinal);
        Assert.Empty(rig.DbtCloud.Calls);
    }

    [Fact]
    public async Task Deliver_ExposuresDisabled_NoSecretReadNoDbtCloudCallNoDecision()
    {
        await using var rig = await ExposureRig.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "conf1", "123"),
            new Dictionary<string, string?> { ["Exposures:Enabled"] = null, ["Exposures:IncludeErroredRuns"] = "true" }));

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("full-build")));
        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("fct-orders-failed", "wev_err")));

        Assert.Equal(["acme/conf1"], rig.ModeRuns());
        Assert.Empty(rig.DbtCloud.Calls);
        Assert.DoesNotContain(rig.App.Sidecar.Calls, c => c.Request is GetSecretRequest { Key: ExposureRig.TokenSecret });
        Assert.DoesNotContain(rig.App.Sidecar.GetStateSnapshot("statestore").Keys, k => k.StartsWith("lineage-decision:", StringComparison.Ordinal));
        Assert.Equal(404, (await rig.DecisionAsync("70001")).Status);
    }

    [Fact]
    public async Task Deliver_Decided_DecisionKeptWithTheRunsTtl()
    {
        await using var rig = await ExposureRig.StartAsync(new Dictionary<string, string?> { ["Idempotency:RecordTtl"] = "2.00:00:00" });

        Assert.Equal("SUCCESS", await rig.App.DeliverAsync(ExposureRig.Event("staging-only")));

        var stored = rig.App.Sidecar.GetStateSnapshot("statestore")["lineage-decision:70002"];
        Assert.Equal("172800", stored.Metadata["ttlInSeconds"]);
        var (status, decision) = await rig.DecisionAsync("70002");
        Assert.Equal(200, status);
        Assert.Equal("wev_exp", decision!["eventId"]!.GetValue<string>());
        Assert.StartsWith("dbt run 70002: Refresh 1 Mode report for 1 exposure: ops_notebook → acme/1c2d3e4f5a6b", decision["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal([4], decision["stepsRead"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal(404, (await rig.DecisionAsync("99999")).Status);
    }

    [Fact]
    public async Task GetDecision_AppTokenSet_RequiresTheToken()
    {
        await using var rig = await ExposureRig.StartAsync(new Dictionary<string, string?> { ["APP_API_TOKEN"] = "app-token-1" });
        using var deliver = await rig.App.PostEnvelopeAsync(DbtEvents.Envelope(ExposureRig.Event("staging-only"), "ce-1"), apiToken: "app-token-1");
        Assert.Equal("SUCCESS", await RefreshApp.AnswerOf(deliver));

        Assert.Equal(401, (await rig.DecisionAsync("70002")).Status);
        Assert.Equal(401, (await rig.DecisionAsync("70002", "wrong")).Status);
        Assert.Equal(200, (await rig.DecisionAsync("70002", "app-token-1")).Status);
    }

    [Fact]
    public async Task Start_NoRoutesWithExposuresOn_SaysExposuresDecideInsteadOfWarningNothingRuns()
    {
        await using var rig = await ExposureRig.StartAsync();
        _ = rig.App.Client; // host started

        Assert.True(rig.App.Logs.Contains(LogLevel.Information, "only the dbt project's exposures decide"));
        Assert.DoesNotContain(rig.App.Logs.Lines, l => l.Message.StartsWith("No Mode report will run", StringComparison.Ordinal));
    }
}
