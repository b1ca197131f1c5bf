using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Rule;
using ModeRefresh.Lineage.Tests.Support;

namespace ModeRefresh.Lineage.Tests;

/// <summary>
/// Every scenario of ../shared/dbt-cloud/artifacts/README.md with its expected outcome, on the shared files when
/// they are there and on the generated equivalent always.
/// </summary>
public sealed class SharedScenarioTests
{
    // README: "Expected, with every exposure mapped as in the table".
    private static readonly Dictionary<string, (string[] Refreshed, string[] Blocked, string[] Untouched)> Expected = new()
    {
        ["full-build"] = (["customer_health", "exec_summary", "ops_notebook", "weekly_revenue"], [], []),
        ["staging-only"] = (["ops_notebook"], [], ["weekly_revenue", "customer_health", "exec_summary"]),
        // The rule itself; whether an errored run is acted on at all is ExposureRouter's (IncludeErroredRuns).
        ["fct-orders-failed"] = (["ops_notebook"], ["customer_health", "exec_summary", "weekly_revenue"], []),
        ["two-steps"] = (["exec_summary", "ops_notebook", "weekly_revenue"], [], ["customer_health"]),
    };

    private static readonly Dictionary<string, string> ReportOf = new()
    {
        ["weekly_revenue"] = "acme/4f2a9c1b7e3d",
        ["customer_health"] = "acme/9b8c7d6e5f4a",
        ["exec_summary"] = "acme-finance/0a1b2c3d4e5f",
        ["ops_notebook"] = "acme/1c2d3e4f5a6b",
    };

    [Theory]
    [MemberData(nameof(Scenarios.All), MemberType = typeof(Scenarios))]
    public async Task Decide_Scenario_MatchesSharedReadme(string source, string scenario)
    {
        var (manifest, runResults) = Scenarios.Artifacts(Scenarios.Run(source, scenario));

        var decision = await Decide.WithAsync(manifest, runResults);

        var expected = Expected[scenario];
        Assert.Equal(expected.Refreshed, decision.Refreshed());
        Assert.Equal(expected.Blocked, decision.BlockedNames());
        Assert.Equal(expected.Untouched, decision.UntouchedNames());
        Assert.Equal(["finance_adhoc", "marketing_attribution"], decision.IgnoredNames());
        Assert.Equal(
            expected.Refreshed.Select(n => ReportOf[n]).Order(StringComparer.Ordinal),
            decision.Reports.Select(r => r.ToString()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(Scenarios.Generated)]
    [InlineData(Scenarios.Shared)]
    public async Task Decide_ExecSummary_RunsAcmeFinanceWithMetaParameters(string source)
    {
        var (manifest, runResults) = Scenarios.Artifacts(Scenarios.Run(source, "full-build"));

        var decision = await Decide.WithAsync(manifest, runResults);

        // meta.mode overrides the URL's acme/ffffffffffff, and its parameters keep their JSON types.
        var exec = Assert.Single(decision.Refreshed, r => r.Name == "exec_summary").Report;
        Assert.Equal(("acme-finance", "0a1b2c3d4e5f"), (exec.Workspace, exec.Report));
        Assert.Equal("""{"region":"EU","segments":["smb","enterprise"]}""", exec.ParametersJson);
        Assert.All(decision.Refreshed.Where(r => r.Name != "exec_summary"), r => Assert.Equal("{}", r.Report.ParametersJson));
    }

    [Theory]
    [InlineData(Scenarios.Generated)]
    [InlineData(Scenarios.Shared)]
    public async Task Decide_FctOrdersFailed_NamesTheBlockingNodeAndStatus(string source)
    {
        var (manifest, runResults) = Scenarios.Artifacts(Scenarios.Run(source, "fct-orders-failed"));

        var decision = await Decide.WithAsync(manifest, runResults);

        var blockers = decision.Blocked.ToDictionary(b => b.Name, b => (DecisionExplainer.ShortNode(b.BlockingNode), b.BlockingStatus));
        Assert.Equal(("fct_revenue_daily", NodeRunStatus.Skipped), blockers["weekly_revenue"]);
        Assert.Equal(("rpt_exec_summary", NodeRunStatus.Skipped), blockers["exec_summary"]);
        Assert.Contains(blockers["customer_health"], new[] { ("dim_customers", NodeRunStatus.Skipped), ("fct_orders", NodeRunStatus.Error) });
        Assert.Contains("Blocked 3: ", decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("weekly_revenue by fct_revenue_daily (skipped)", decision.Explanation, StringComparison.Ordinal);
    }

    /// <summary>README: "Reading only the last step's run_results gets full-build and two-steps wrong."</summary>
    [Theory]
    [InlineData(Scenarios.Generated, "full-build")]
    [InlineData(Scenarios.Generated, "two-steps")]
    [InlineData(Scenarios.Shared, "full-build")]
    [InlineData(Scenarios.Shared, "two-steps")]
    public async Task Decide_LastStepOnly_GetsTheScenarioWrongWhereAllStepsGetItRight(string source, string scenario)
    {
        var (manifest, runResults) = Scenarios.Artifacts(Scenarios.Run(source, scenario));

        var lastOnly = await Decide.WithAsync(manifest, runResults[^1]);
        var all = await Decide.WithAsync(manifest, runResults);

        Assert.Equal(Expected[scenario].Refreshed, all.Refreshed());
        Assert.NotEqual(Expected[scenario].Refreshed, lastOnly.Refreshed());
    }

    [Theory]
    [InlineData(Scenarios.Generated)]
    [InlineData(Scenarios.Shared)]
    public async Task Decide_FullBuild_ExplainsInOneLine(string source)
    {
        var (manifest, runResults) = Scenarios.Artifacts(Scenarios.Run(source, "full-build"));

        var decision = await Decide.WithAsync(manifest, runResults);

        Assert.DoesNotContain('\n', decision.Explanation);
        Assert.StartsWith("Refresh 4 Mode reports for 4 exposures: ", decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("weekly_revenue → acme/4f2a9c1b7e3d (fct_revenue_daily ran)", decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("Ignored 2 (no Mode report): ", decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("marketing_attribution (its url is not a Mode report URL)", decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("finance_adhoc (no url and no meta.mode)", decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("step 4 (build, 9 results)", decision.Explanation, StringComparison.Ordinal);
    }
}
