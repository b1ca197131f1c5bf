using System.Text;
using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests;

public sealed class RunResultsReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<RunResultsArtifact> Read(byte[] bytes) => RunResultsReader.ReadAsync(new MemoryStream(bytes), Ct);

    [Fact]
    public async Task ReadAsync_EveryStatus_KeepsIdStatusAndCommand()
    {
        var statuses = new[] { "success", "error", "skipped", "partial success", "no-op", "pass", "fail", "warn", "runtime error", "something new" };
        var bytes = DbtRunResults.Bytes("build", statuses.Select((s, i) => new DbtResult($"model.p.m{i}", s)), compiledCodePadding: 5000);

        var artifact = await RunResultsReader.ReadAsync(new TrickleStream(bytes, 3), Ct);

        Assert.Equal("build", artifact.Command);
        Assert.Equal("https://schemas.getdbt.com/dbt/run-results/v6.json", artifact.SchemaVersion);
        Assert.Equal(
            [NodeRunStatus.Success, NodeRunStatus.Error, NodeRunStatus.Skipped, NodeRunStatus.PartialSuccess, NodeRunStatus.NoOp,
             NodeRunStatus.Pass, NodeRunStatus.Fail, NodeRunStatus.Warn, NodeRunStatus.RuntimeError, NodeRunStatus.Other],
            artifact.Results.Select(r => r.Status));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"model.p.m{i}"), artifact.Results.Select(r => r.UniqueId));
    }

    [Fact]
    public async Task ReadAsync_SharedFile_ReadsItsResults()
    {
        var artifact = await RunResultsReader.ReadFileAsync(Path.Combine(SharedArtifacts.Scenario("fct-orders-failed"), "run_results.step4.json"), Ct);

        Assert.Equal(NodeRunStatus.Error, artifact.Results.Single(r => r.UniqueId == "model.acme_analytics.fct_orders").Status);
        Assert.Equal(8, artifact.Results.Count);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "", "the file is empty" },
        { "{\"results\": {}}", "$.results is not an array" },
        { "{\"results\": [\"x\"]}", "an entry of $.results is not an object" },
        { "{\"results\": [{\"status\": \"success\"}]}", "$.results[0] has no unique_id" },
        { "{\"results\": [{\"unique_id\": \"model.p.a\"}]}", "$.results[0] has no status" },
        { "{\"results\": [{\"unique_id\": \"model.p.a\", \"status\": 1}]}", "$.results[0].status is not a string" },
        { "{\"nodes\": {}}", "there is no results array" },
        { "{\"metadata\": {\"dbt_schema_version\": \"https://schemas.getdbt.com/dbt/manifest/v12.json\"}, \"results\": []}", "does not name a run-results schema" },
        { "{\"results\": [", "cut short" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task ReadAsync_Malformed_ThrowsRunResultsFormatException(string text, string reason)
    {
        var ex = await Assert.ThrowsAsync<RunResultsFormatException>(() => Read(Encoding.UTF8.GetBytes(text)));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("model.p.a", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merge_LaterStepWins_ButSkippedDoesNotUndoAnEarlierRun()
    {
        var step4 = await Read(DbtRunResults.Bytes("run", [new("model.p.a", "error"), new("model.p.b", "success"), new("model.p.c", "skipped")]));
        var step5 = await Read(DbtRunResults.Bytes("build", [new("model.p.a", "success"), new("model.p.b", "skipped"), new("model.p.c", "skipped")]));

        var merged = RunResultsSet.Merge([new("step 4", step4), new("step 5", step5)]);

        Assert.Equal(NodeRunStatus.Success, merged.Statuses["model.p.a"]); // re-run and succeeded
        Assert.Equal(NodeRunStatus.Success, merged.Statuses["model.p.b"]); // skipped later: data is step 4's
        Assert.Equal(NodeRunStatus.Skipped, merged.Statuses["model.p.c"]);
        Assert.Equal(["step 4 (run, 3 results)", "step 5 (build, 3 results)"], merged.Read);
    }

    [Fact]
    public async Task Merge_LaterError_OverridesEarlierSuccess()
    {
        var step4 = await Read(DbtRunResults.Bytes("run", "success", "model.p.a"));
        var step5 = await Read(DbtRunResults.Bytes("run", "error", "model.p.a"));

        var merged = RunResultsSet.Merge([new("step 4", step4), new("step 5", step5)]);

        Assert.Equal(NodeRunStatus.Error, merged.Statuses["model.p.a"]);
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("compile")]
    [InlineData("show")]
    [InlineData("list")]
    public async Task Merge_ReadOnlyCommand_IsSetAside(string command)
    {
        // `dbt docs generate` compiles first and reports "success" for every node it compiled: nothing was built.
        var build = await Read(DbtRunResults.Bytes("build", "success", "model.p.a"));
        var docs = await Read(DbtRunResults.Bytes(command, "success", "model.p.a", "model.p.b"));

        var merged = RunResultsSet.Merge([new("step 4", build), new("step 5", docs)]);

        Assert.Equal(["model.p.a"], merged.Statuses.Keys);
        Assert.Equal([$"step 5 ({command})"], merged.Ignored);
    }
}
