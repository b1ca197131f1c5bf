using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using ModeRefresh.Lineage.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests;

/// <summary>
/// What the generator and the fake dbt Cloud serve is valid against dbt's published schemas (manifest v12,
/// run-results v6), read from ../shared when it is there; a visible skip otherwise.
/// </summary>
public sealed class SchemaCrossCheckTests
{
    private static readonly Lazy<JsonSchema> ManifestSchemaFile = new(() => Load("manifest-v12.json"));
    private static readonly Lazy<JsonSchema> RunResultsSchemaFile = new(() => Load("run-results-v6.json"));

    public static TheoryData<string> ScenarioNames => new(AcmeProject.ScenarioNames);

    [Fact]
    public void Validate_SharedSampleManifest_IsValid()
    {
        // The validator itself, on the file dbt's schema is known to accept.
        AssertValid(ManifestSchema(), File.ReadAllBytes(SharedArtifacts.Manifest), "shared manifest.json");
    }

    [Fact]
    public void Validate_GeneratedAcmeManifest_IsValid() =>
        AssertValid(ManifestSchema(), AcmeProject.Build().ManifestBytes(), "generated acme manifest");

    [Fact]
    public void Validate_GeneratedEdgeProjectManifest_IsValid() =>
        AssertValid(ManifestSchema(), EdgeProjects.Everything().ManifestBytes(), "generated edge-case manifest");

    [Fact]
    public void Validate_GeneratedPaddedManifest_IsValid()
    {
        // The benchmark's shape: padded SQL and a documented column per model.
        var p = new DbtProject("big") { PaddingBytes = 2000 };
        var src = p.Source("raw", "events");
        var view = p.Model("stg_events", "view", [src]);
        p.Exposure("events", "dashboard", [p.Model("fct_events", "incremental", [view])], "https://app.mode.com/big/reports/abcdefabcdef");
        AssertValid(ManifestSchema(), p.ManifestBytes(), "generated padded manifest");
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Validate_GeneratedScenarioRunResults_AreValid(string scenario)
    {
        foreach (var step in AcmeProject.Scenario(scenario).Steps.Where(s => s.RunResults is not null))
        {
            AssertValid(RunResultsSchema(), Scenarios.Bytes(step.RunResults!), $"{scenario} step {step.Index} run_results");
        }
    }

    [Fact]
    public void Validate_GeneratedRunResultsWithEveryStatus_IsValid()
    {
        var results = new[] { "success", "error", "skipped", "partial success", "no-op" }.Select((s, i) => new DbtResult($"model.p.m{i}", s))
            .Concat(new[] { "pass", "fail", "warn" }.Select((s, i) => new DbtResult($"test.p.t{i}", s)));
        AssertValid(RunResultsSchema(), DbtRunResults.Bytes("build", results, compiledCodePadding: 100), "run_results with every status");
    }

    [Fact]
    public void Validate_PlantedUnknownFieldInNode_IsReported()
    {
        // The cross-check must be able to fail: a field a v12 node may not have (additionalProperties: false).
        var manifest = JsonNode.Parse(AcmeProject.Build().ManifestBytes())!;
        manifest["nodes"]!["model.acme_analytics.fct_orders"]!["materialised"] = "table";
        var results = ManifestSchema().Evaluate(JsonDocument.Parse(manifest.ToJsonString()).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.False(results.IsValid);
    }

    private static JsonSchema ManifestSchema() => OrSkip(ManifestSchemaFile);

    private static JsonSchema RunResultsSchema() => OrSkip(RunResultsSchemaFile);

    private static JsonSchema OrSkip(Lazy<JsonSchema> schema)
    {
        SharedArtifacts.RequireDirectory();
        return schema.Value;
    }

    /// <summary>
    /// JsonSchema.Net 8.0.5 refuses dbt's schemas as published: their root <c>$id</c> makes it register the document
    /// twice ("Overwriting registered schemas is not permitted"). The id is passed as the base URI instead, into a
    /// registry of its own.
    /// </summary>
    private static JsonSchema Load(string file)
    {
        var schema = JsonNode.Parse(File.ReadAllText(SharedArtifacts.Schema(file)))!.AsObject();
        var id = schema["$id"]!.GetValue<string>();
        schema.Remove("$id");
        return JsonSchema.FromText(schema.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri(id));
    }

    private static void AssertValid(JsonSchema schema, byte[] document, string what)
    {
        using var json = JsonDocument.Parse(document);
        var results = schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return;
        }

        var report = new StringBuilder($"{what} is not valid against {schema.BaseUri}:");
        foreach (var detail in (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Take(15))
        {
            report.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n  {detail.InstanceLocation} ({detail.EvaluationPath}): {string.Join("; ", detail.Errors!.Values)}");
        }

        Assert.Fail(report.ToString());
    }
}
