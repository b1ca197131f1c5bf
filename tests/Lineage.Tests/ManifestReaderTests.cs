using System.Text;
using System.Text.Json.Nodes;
using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests;

public sealed class ManifestReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReadAsync_Acme_KeepsNodesParentsAndExposures()
    {
        var graph = await Decide.ManifestAsync(AcmeProject.Build().ManifestBytes());

        var fct = graph.FindNode(AcmeProject.Model("fct_orders"))!;
        Assert.Equal((DbtResourceType.Model, "table"), (fct.ResourceType, fct.Materialized));
        Assert.Equal([AcmeProject.Model("int_order_payments")], fct.DependsOn);
        Assert.True(graph.FindNode(AcmeProject.Model("int_order_payments"))!.PassesThrough);
        Assert.Equal(DbtResourceType.Source, graph.FindNode("source.acme_analytics.shop.orders")!.ResourceType);
        Assert.Equal("https://schemas.getdbt.com/dbt/manifest/v12.json", graph.SchemaVersion);
        Assert.Equal("acme_analytics", graph.ProjectName);
        Assert.Equal(
            ["weekly_revenue", "customer_health", "exec_summary", "ops_notebook", "marketing_attribution", "finance_adhoc"],
            graph.Exposures.Select(e => e.Name));
        var exec = graph.Exposures.Single(e => e.Name == "exec_summary");
        Assert.Equal(("acme-finance", "0a1b2c3d4e5f"), (exec.ConfigMeta!.Workspace, exec.ConfigMeta.Report));
        Assert.Equal(("acme-finance", "0a1b2c3d4e5f"), (exec.Meta!.Workspace, exec.Meta.Report));
        Assert.Equal("""{"region":"EU","segments":["smb","enterprise"]}""", exec.ConfigMeta.ParametersJson);
        Assert.Equal(("dashboard", "https://app.mode.com/acme/reports/ffffffffffff"), (exec.Type, exec.Url));
    }

    [Fact]
    public async Task ReadAsync_Tests_AreNotKept()
    {
        // Tests change no data: their entries are skipped, so they cannot take part in a walk.
        var graph = await Decide.ManifestAsync(AcmeProject.Build().ManifestBytes());

        Assert.Null(graph.FindNode("test.acme_analytics.not_null_fct_orders_order_id"));
    }

    [Fact]
    public async Task ReadAsync_SharedSample_SameGraphAsGenerated()
    {
        var shared = await ManifestReader.ReadFileAsync(SharedArtifacts.Manifest, Ct);
        var generated = await Decide.ManifestAsync(AcmeProject.Build().ManifestBytes());

        Assert.Equal(Describe(generated), Describe(shared));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task ReadAsync_TrickledInSmallReads_SameGraphAsInOneRead(int chunk)
    {
        // Every token boundary falls at a refill somewhere, including inside meta.mode.parameters.
        var bytes = EdgeProjects.Everything().ManifestBytes();
        var trickle = new TrickleStream(bytes, chunk);

        var trickled = await ManifestReader.ReadAsync(trickle, Ct);
        var whole = await Decide.ManifestAsync(bytes);

        Assert.Equal(Describe(whole), Describe(trickled));
        Assert.Equal(chunk, trickle.LargestRead);
    }

    [Fact]
    public async Task ReadAsync_ValueLongerThanTheBuffer_GrowsAndReads()
    {
        // One 600 KB raw_code: longer than the 128 KiB starting buffer.
        var p = new DbtProject("big") { PaddingBytes = 600_000 };
        var view = p.Model("v", "view", [p.Source("raw", "t")]);
        p.Exposure("e", "dashboard", [view], "https://app.mode.com/big/reports/abcdefabcdef");

        var graph = await ManifestReader.ReadAsync(new TrickleStream(p.ManifestBytes(), 64 * 1024), Ct);

        Assert.Equal(["source.big.raw.t"], graph.FindNode(view)!.DependsOn);
        Assert.Single(graph.Exposures);
    }

    [Fact]
    public async Task ReadAsync_DisabledSection_IsNotRead()
    {
        var graph = await Decide.ManifestAsync(EdgeProjects.Everything().ManifestBytes());

        // dbt moves disabled nodes and exposures to "disabled": neither is a node or an exposure of the run.
        Assert.Null(graph.FindNode("model.shop.old_mart"));
        Assert.DoesNotContain(graph.Exposures, e => e.Name == "retired");
    }

    [Fact]
    public async Task ReadAsync_EdgeProject_VersionsPackagesSeedsSnapshots()
    {
        var graph = await Decide.ManifestAsync(EdgeProjects.Everything().ManifestBytes());

        Assert.Equal(DbtResourceType.Seed, graph.FindNode("seed.shop.countries")!.ResourceType);
        Assert.Equal(DbtResourceType.Snapshot, graph.FindNode("snapshot.shop.orders_snapshot")!.ResourceType);
        Assert.Equal(["snapshot.shop.orders_snapshot", "seed.shop.countries"], graph.FindNode("model.shop.stg_orders")!.DependsOn);
        Assert.NotNull(graph.FindNode("model.shop.dim_customers.v1"));
        Assert.NotNull(graph.FindNode("model.shop.dim_customers.v2"));
        Assert.Equal(["model.finance_utils.fx_rates"], graph.FindNode("model.finance_utils.fx_rates_latest")!.DependsOn);
        var fx = graph.Exposures.Single(e => e.Name == "fx");
        Assert.Equal("exposure.finance_utils.fx", fx.UniqueId);
        Assert.Equal("01:00:00", fx.ConfigMeta!.MinInterval);
    }

    [Fact]
    public async Task ReadAsync_EscapedStrings_AreUnescaped()
    {
        var manifest = """
            {"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
             "nodes": {"model\u002ep\u002ev": {"resource_type": "model", "config": {"materialized": "view"},
                                       "depends_on": {"nodes": ["source\u002ep.s.t"]}}},
             "sources": {"source.p.s.t": {}},
             "exposures": {"exposure.p.e": {"name": "caf\u00e9", "url": "https:\/\/app.mode.com\/w\/reports\/abcdefabcdef",
                                           "depends_on": {"nodes": ["model.p.v"]}}}}
            """u8.ToArray();

        var graph = await Decide.ManifestAsync(manifest);

        Assert.Equal(["source.p.s.t"], graph.FindNode("model.p.v")!.DependsOn);
        Assert.Equal(DbtResourceType.Source, graph.FindNode("source.p.s.t")!.ResourceType);
        var e = Assert.Single(graph.Exposures);
        Assert.Equal(("café", "https://app.mode.com/w/reports/abcdefabcdef"), (e.Name, e.Url));
        Assert.Equal(["model.p.v"], e.DependsOn);
    }

    [Fact]
    public async Task ReadAsync_ExposureFieldOfWrongType_MarksThatExposureOnly()
    {
        var manifest = """
            {"nodes": {}, "exposures": {
              "exposure.p.a": {"name": "a", "url": 42, "depends_on": {"nodes": []}},
              "exposure.p.b": {"name": "b", "meta": {"mode": "acme/abc"}, "depends_on": {"nodes": []}},
              "exposure.p.c": {"name": "c", "config": {"meta": {"mode": {"workspace": ["x"], "report": "abcdefabcdef"}}}},
              "exposure.p.d": {"name": "d", "url": "https://app.mode.com/w/reports/abcdefabcdef"}}}
            """u8.ToArray();

        var graph = await Decide.ManifestAsync(manifest);

        var byName = graph.Exposures.ToDictionary(e => e.Name);
        Assert.Equal("url is not a string", byName["a"].Problem);
        Assert.Equal("meta.mode is not an object", byName["b"].Meta!.Problem);
        Assert.Equal("config.meta.mode.workspace is not a string", byName["c"].ConfigMeta!.Problem);
        Assert.Null(byName["d"].Problem);
    }

    [Fact]
    public async Task ReadAsync_OversizedParameters_MarkedNotKept()
    {
        var big = new JsonObject();
        for (var i = 0; i < 3000; i++) big[$"p{i}"] = new JsonArray("a long enough value to add up", i);
        var p = new DbtProject("p");
        var meta = new JsonObject { ["mode"] = new JsonObject { ["workspace"] = "w", ["report"] = "abcdefabcdef", ["parameters"] = big } };
        p.Exposure("e", "dashboard", [], meta: meta);

        var graph = await Decide.ManifestAsync(p.ManifestBytes());

        var mode = Assert.Single(graph.Exposures).Meta!;
        Assert.Null(mode.ParametersJson);
        Assert.Equal("meta.mode.parameters is larger than 64 KiB", mode.Problem);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "", "the file is empty" },
        { "   ", "not valid JSON" },
        { "[1, 2]", "the top level is not a JSON object" },
        { "{\"nodes\": {\"model.p.a\": {\"resource_type\": \"model\"", "cut short" },
        { "{\"nodes\": {}} trailing", "not valid JSON" },
        { "{\"nodes\": [], \"exposures\": {}}", "$.nodes is not an object" },
        { "{\"nodes\": {\"model.p.a\": \"SECRET-LOOKING-VALUE\"}}", "an entry of $.nodes is not an object" },
        { "{\"nodes\": {\"model.p.a\": {\"depends_on\": {\"nodes\": \"model.p.b\"}}}}", "$.nodes.*.depends_on.nodes is not an array" },
        { "{\"nodes\": {\"model.p.a\": {\"depends_on\": {\"nodes\": [1]}}}}", "$.nodes.*.depends_on.nodes holds a value that is not a string" },
        { "{\"nodes\": {}, \"exposures\": {\"exposure.p.e\": {\"depends_on\": {\"nodes\": [{}]}}}}", "$.exposures.*.depends_on.nodes holds a value that is not a string" },
        { "{\"exposures\": {}}", "there is no nodes object" },
        { "{\"metadata\": {\"dbt_schema_version\": \"https://schemas.getdbt.com/dbt/run-results/v6.json\"}, \"results\": []}", "does not name a manifest schema" },
        { "{\"nodes\": {\"model.p.a\": {\"config\": {\"materialized\": 3}}}}", "$.nodes.*.config.materialized is not a string" },
        { "{\"nodes\": {\"model.p.a\": {\"resource_type\": \"model\" \"x\": 1}}}", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task ReadAsync_Malformed_ThrowsManifestFormatExceptionWithReasonOnly(string manifest, string reason)
    {
        var ex = await Assert.ThrowsAsync<ManifestFormatException>(() => Decide.ManifestAsync(Encoding.UTF8.GetBytes(manifest)));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("manifest.json cannot be read: ", ex.Message, StringComparison.Ordinal);
        // Position and a short path, never the file's content.
        Assert.DoesNotContain("SECRET-LOOKING-VALUE", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("model.p.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_InvalidJson_GivesBytePosition()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"nodes\": {}, \"exposures\": {\"exposure.p.e\": {\"name\": tru}}}");

        var ex = await Assert.ThrowsAsync<ManifestFormatException>(() => Decide.ManifestAsync(bytes));

        Assert.InRange(ex.BytePosition!.Value, 40, 60);
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8InAnId_IsAFormatError()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"nodes\": {\"model.p.XX\": {}}}");
        bytes[20] = 0xC3; // a lead byte followed by an ASCII byte: not UTF-8
        bytes[21] = 0x28;

        var ex = await Assert.ThrowsAsync<ManifestFormatException>(() => Decide.ManifestAsync(bytes));

        Assert.Contains("manifest.json cannot be read", ex.Message, StringComparison.Ordinal);
    }

    private static string[] Describe(ManifestGraph graph) =>
    [
        .. graph.Exposures.Select(e => $"{e.UniqueId}|{e.Name}|{e.Type}|{e.Url}|{e.Enabled}|{string.Join(",", e.DependsOn)}|{e.Meta}|{e.ConfigMeta}|{e.Problem}"),
        .. graph.Exposures.SelectMany(e => e.DependsOn).Distinct().SelectMany(id => Walk(graph, id)).Distinct().Order(StringComparer.Ordinal),
    ];

    private static IEnumerable<string> Walk(ManifestGraph graph, string id)
    {
        var node = graph.FindNode(id);
        if (node is null) yield break;
        yield return $"{node.UniqueId}|{node.ResourceType}|{node.Materialized}|{string.Join(",", node.DependsOn)}";
        foreach (var parent in node.DependsOn.SelectMany(p => Walk(graph, p))) yield return parent;
    }
}
