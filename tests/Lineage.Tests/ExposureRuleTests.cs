using System.Text.Json.Nodes;
using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Rule;
using ModeRefresh.Lineage.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests;

/// <summary>The rule on the edge cases real projects have, beyond the shared scenarios.</summary>
public sealed class ExposureRuleTests
{
    private const string Url = "https://app.mode.com/shop/reports/";

    private static byte[] Build(params (string Id, string Status)[] results) =>
        DbtRunResults.Bytes("build", results.Select(r => new DbtResult(r.Id, r.Status)));

    [Fact]
    public async Task Decide_VersionedModels_OnlyTheVersionThatRan()
    {
        var decision = await Decide.WithAsync(EdgeProjects.Everything(), Build(("model.shop.dim_customers.v2", "success")));

        Assert.Equal(["customers_v2"], decision.Refreshed());
        Assert.Contains("customers_v1", decision.UntouchedNames());
        Assert.Equal("dim_customers.v2", DecisionExplainer.ShortNode(decision.Refreshed.Single().ChangedNode));
    }

    [Theory]
    [InlineData("success", "refreshed")]
    [InlineData("skipped", "blocked")]
    [InlineData(null, "untouched")]
    public async Task Decide_SnapshotUpstreamThroughAView_FollowsTheSnapshot(string? status, string outcome)
    {
        var p = new DbtProject("p");
        var snap = p.Snapshot("orders_snapshot", [p.Source("raw", "orders")]);
        p.Exposure("history", "dashboard", [p.Model("orders_history", "view", [snap])], Url + "aaaaaaaaaaaa");

        var decision = await Decide.WithAsync(p, status is null ? Build() : Build((snap, status)));

        Assert.Equal(outcome, Outcome(decision, "history"));
    }

    [Theory]
    [InlineData("success", "refreshed")]
    [InlineData("error", "blocked")]
    [InlineData(null, "untouched")]
    public async Task Decide_SeedUpstreamThroughEphemeralAndView_FollowsTheSeed(string? status, string outcome)
    {
        var p = new DbtProject("p");
        var seed = p.Seed("countries");
        var eph = p.Model("int_countries", "ephemeral", [seed]);
        p.Exposure("countries", "dashboard", [p.Model("countries_v", "view", [eph])], Url + "aaaaaaaaaaaa");

        var decision = await Decide.WithAsync(p, status is null ? Build() : Build((seed, status)));

        Assert.Equal(outcome, Outcome(decision, "countries"));
    }

    [Fact]
    public async Task Decide_SeveralPackages_WalksAcrossThem()
    {
        var decision = await Decide.WithAsync(EdgeProjects.Everything(), Build(("model.finance_utils.fx_rates", "success")));

        var fx = Assert.Single(decision.Refreshed);
        Assert.Equal(("exposure.finance_utils.fx", "shop/aaaaaaaaaaaa"), (fx.UniqueId, fx.Report.ToString()));
        Assert.Equal("01:00:00", fx.Report.MinInterval);
    }

    [Fact]
    public async Task Decide_ExposureOnASource_IsUntouchedByABuild()
    {
        // A source never runs in a build: its data is loaded outside dbt.
        var p = EdgeProjects.Everything();
        var everything = p.NodeIds.Where(id => !id.StartsWith("test.", StringComparison.Ordinal)).Select(id => (id, "success")).ToArray();

        var decision = await Decide.WithAsync(p, Build(everything));

        Assert.Contains("raw_orders", decision.UntouchedNames());
        Assert.DoesNotContain("raw_orders", decision.Refreshed());
    }

    [Fact]
    public async Task Decide_DisabledExposures_AreNeverRefreshed()
    {
        var p = new DbtProject("p");
        var view = p.Model("v", "view", [p.Source("raw", "t")]);
        p.Exposure("in_disabled_section", "dashboard", [view], Url + "aaaaaaaaaaaa", enabled: false);
        p.Exposure("enabled_false_in_exposures", "dashboard", [view], Url + "bbbbbbbbbbbb", enabled: false, disabledInExposures: true);
        p.Exposure("live", "dashboard", [view], Url + "cccccccccccc");

        var decision = await Decide.WithAsync(p, Build((view, "success")));

        Assert.Equal(["live"], decision.Refreshed());
        var ignored = Assert.Single(decision.Ignored);
        Assert.Equal(("enabled_false_in_exposures", "disabled (config.enabled: false)"), (ignored.Name, ignored.Reason));
    }

    [Fact]
    public async Task Decide_SameReportBehindTwoExposures_RunsItOnce()
    {
        var p = new DbtProject("p");
        var a = p.Model("a", "table", []);
        var b = p.Model("b", "table", []);
        p.Exposure("first", "dashboard", [a], Url + "aaaaaaaaaaaa");
        p.Exposure("second", "dashboard", [b], "https://app.mode.com/editor/shop/reports/aaaaaaaaaaaa/viz/1");
        p.Exposure("other", "dashboard", [b], Url + "bbbbbbbbbbbb");

        var decision = await Decide.WithAsync(p, Build((a, "success"), (b, "success")));

        Assert.Equal(["first", "other", "second"], decision.Refreshed());
        Assert.Equal(["shop/aaaaaaaaaaaa", "shop/bbbbbbbbbbbb"], decision.Reports.Select(r => r.ToString()));
        Assert.StartsWith("Refresh 2 Mode reports for 3 exposures", decision.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decide_ModelUpstreamOfManyExposures_IsEvaluatedOnce()
    {
        // 1,000 exposures each on its own view, all over one chain of 500 views down to one table that ran.
        var p = new DbtProject("p");
        var node = p.Model("base", "table", []);
        var table = node;
        for (var i = 0; i < 500; i++) node = p.Model($"chain_{i}", "view", [node]);
        for (var i = 0; i < 1000; i++)
        {
            p.Exposure($"e{i}", "dashboard", [p.Model($"leaf_{i}", "view", [node])], $"{Url}{i:x12}");
        }

        var graph = await Decide.ManifestAsync(p.ManifestBytes());
        var results = RunResultsSet.Merge([new("step 4", await RunResultsReader.ReadAsync(new MemoryStream(Build((table, "success"))), TestContext.Current.CancellationToken))]);

        var decision = ExposureRule.Decide(graph, results, out var evaluations);

        Assert.Equal(1000, decision.Refreshed.Count);
        Assert.All(decision.Refreshed, r => Assert.Equal(table, r.ChangedNode));
        Assert.Equal(1 + 500 + 1000, evaluations); // each node once, not 1,000 × 501
    }

    [Fact]
    public async Task Decide_ChainOfManyViews_DoesNotOverflowTheStack()
    {
        var p = new DbtProject("p");
        var node = p.Model("base", "table", []);
        var table = node;
        for (var i = 0; i < 100_000; i++) node = p.Model($"v{i}", "view", [node]);
        p.Exposure("deep", "dashboard", [node], Url + "aaaaaaaaaaaa");

        var decision = await Decide.WithAsync(p, Build((table, "success")));

        Assert.Equal(["deep"], decision.Refreshed());
    }

    [Fact]
    public async Task Decide_CycleOfViews_Terminates()
    {
        // Never in a valid manifest, but a broken one must not hang the service.
        var manifest = """
            {"nodes": {
              "model.p.a": {"resource_type": "model", "config": {"materialized": "view"}, "depends_on": {"nodes": ["model.p.b"]}},
              "model.p.b": {"resource_type": "model", "config": {"materialized": "view"}, "depends_on": {"nodes": ["model.p.a", "model.p.t"]}},
              "model.p.t": {"resource_type": "model", "config": {"materialized": "table"}, "depends_on": {"nodes": []}}},
             "exposures": {"exposure.p.e": {"name": "e", "url": "https://app.mode.com/w/reports/abcdefabcdef", "depends_on": {"nodes": ["model.p.a"]}}}}
            """u8.ToArray();

        var decision = await Decide.WithAsync(manifest, Build(("model.p.t", "success")));

        Assert.Equal(["e"], decision.Refreshed());
    }

    [Fact]
    public async Task Decide_BlockedBeatsChanged()
    {
        var p = new DbtProject("p");
        var ok = p.Model("ok", "table", []);
        var bad = p.Model("bad", "table", []);
        p.Exposure("mixed", "dashboard", [ok, p.Model("bad_view", "view", [bad])], Url + "aaaaaaaaaaaa");

        var decision = await Decide.WithAsync(p, Build((ok, "success"), (bad, "partial success")));

        var blocked = Assert.Single(decision.Blocked);
        Assert.Equal((bad, NodeRunStatus.PartialSuccess), (blocked.BlockingNode, blocked.BlockingStatus));
        Assert.Empty(decision.Reports);
    }

    [Theory]
    [InlineData("no-op")]
    [InlineData("pass")]
    [InlineData("something new")]
    public async Task Decide_OtherStatuses_NeitherChangeNorBlock(string status)
    {
        var p = new DbtProject("p");
        var t = p.Model("t", "table", []);
        p.Exposure("e", "dashboard", [t], Url + "aaaaaaaaaaaa");

        var decision = await Decide.WithAsync(p, Build((t, status)));

        Assert.Equal(["e"], decision.UntouchedNames());
    }

    [Fact]
    public async Task Decide_ParentNotInManifest_ChangesOnlyIfItRan()
    {
        var manifest = """
            {"nodes": {"model.p.v": {"resource_type": "model", "config": {"materialized": "view"}, "depends_on": {"nodes": ["model.other.gone"]}}},
             "exposures": {"exposure.p.e": {"name": "e", "url": "https://app.mode.com/w/reports/abcdefabcdef", "depends_on": {"nodes": ["model.p.v"]}}}}
            """u8.ToArray();

        // The missing node "ran" in the results (another project's run_results), but it is not part of this graph.
        var decision = await Decide.WithAsync(manifest, Build(("model.other.gone", "success")));

        Assert.Equal(["e"], decision.Refreshed()); // it ran: the walk stops there with success
        var none = await Decide.WithAsync(manifest, Build());
        Assert.Equal(["e"], none.UntouchedNames());
    }

    [Fact]
    public async Task Decide_ManyExposures_ExplanationStaysBounded()
    {
        var p = new DbtProject("p");
        var t = p.Model("t", "table", []);
        for (var i = 0; i < 1000; i++) p.Exposure($"exposure_with_a_rather_long_name_{i}_{new string('x', 100)}", "dashboard", [t], $"{Url}{i:x12}");
        for (var i = 0; i < 500; i++) p.Exposure($"tableau_{i}", "dashboard", [t], "https://tableau.example/x");

        var decision = await Decide.WithAsync(p, Build((t, "success")));

        Assert.InRange(decision.Explanation.Length, 100, DecisionExplainer.MaxChars);
        Assert.Contains("and 990 more", decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("Ignored 500 (no Mode report)", decision.Explanation, StringComparison.Ordinal);
        Assert.Contains("…", decision.Explanation, StringComparison.Ordinal); // long names are cut
    }

    [Fact]
    public async Task Decide_NothingRan_SaysNoReport()
    {
        var decision = await Decide.WithAsync(AcmeProject.Build(), DbtRunResults.Bytes("build", []));

        Assert.StartsWith("No Mode report to refresh. Untouched 4 (nothing upstream ran): ", decision.Explanation, StringComparison.Ordinal);
        Assert.Equal(4, decision.UntouchedCount);
    }

    private static string Outcome(ExposureDecision decision, string name) =>
        decision.Refreshed.Any(r => r.Name == name) ? "refreshed"
        : decision.Blocked.Any(b => b.Name == name) ? "blocked"
        : decision.UntouchedNames().Contains(name) ? "untouched"
        : "ignored";
}
