using ModeRefresh.ExposurePreview;
using ModeRefresh.Lineage.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests;

/// <summary>tools/ExposurePreview: what a run would refresh, from files or from dbt Cloud, before turning it on.</summary>
public sealed class ExposurePreviewTests : IDisposable
{
    private const string Token = "dbtc_preview-token-XYZ";
    private readonly string _dir = Directory.CreateTempSubdirectory("exposure-preview-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Func<string, string?> Env(string? token) => name => name == "DBT_CLOUD_API_TOKEN" ? token : null;

    private static async Task<(int Exit, string Out, string Err)> Run(Func<string, string?> env, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Preview.RunAsync(args, stdout, stderr, env, Ct);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Writes a scenario's manifest and every step's run_results to files; returns the arguments for them.</summary>
    private string[] FileArgs(FakeDbtRun run)
    {
        var (manifest, runResults) = Scenarios.Artifacts(run);
        var args = new List<string> { "--manifest", Path.Combine(_dir, "manifest.json") };
        File.WriteAllBytes(args[1], manifest);
        for (var i = 0; i < runResults.Length; i++)
        {
            var path = Path.Combine(_dir, $"run_results.{i}.json");
            File.WriteAllBytes(path, runResults[i]);
            args.AddRange(["--run-results", path]);
        }

        return [.. args];
    }

    private static string Row(string output, string exposure) =>
        output.Split('\n').Single(l => l.StartsWith(exposure + " ", StringComparison.Ordinal));

    [Theory]
    [InlineData(Scenarios.Generated)]
    [InlineData(Scenarios.Shared)]
    public async Task Files_TwoStepsWithBothResults_PrintsExplanationAndTable(string source)
    {
        var (exit, output, _) = await Run(Env(null), FileArgs(Scenarios.Run(source, "two-steps")));

        Assert.Equal(0, exit);
        Assert.StartsWith("Refresh 3 Mode reports for 3 exposures: ", output, StringComparison.Ordinal);
        Assert.Matches(@"^weekly_revenue\s+refresh\s+acme/4f2a9c1b7e3d\s+fct_revenue_daily ran", Row(output, "weekly_revenue"));
        Assert.Matches(@"^ops_notebook\s+refresh\s+acme/1c2d3e4f5a6b\s+stg_orders ran", Row(output, "ops_notebook"));
        Assert.Matches(@"^exec_summary\s+refresh\s+acme-finance/0a1b2c3d4e5f\s+.*parameters \{""region"":""EU""", Row(output, "exec_summary"));
        Assert.Matches(@"^customer_health\s+untouched\s+acme/9b8c7d6e5f4a\s+nothing upstream ran", Row(output, "customer_health"));
        Assert.Matches(@"^marketing_attribution\s+ignored\s+-\s+its url is not a Mode report URL", Row(output, "marketing_attribution"));
        Assert.Contains("3 report(s) to run; 3 refreshed, 0 blocked, 1 untouched, 2 ignored.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_OnlyTheLastStep_MissesWhatStep4Built()
    {
        var args = FileArgs(AcmeProject.Scenario("two-steps"));

        var (exit, output, _) = await Run(Env(null), [.. args[..2], .. args[^2..]]);

        Assert.Equal(0, exit);
        Assert.Matches(@"^ops_notebook\s+untouched", Row(output, "ops_notebook"));
    }

    [Fact]
    public async Task Files_FailedRun_ShowsBlockedWithTheNode()
    {
        var (exit, output, _) = await Run(Env(null), FileArgs(AcmeProject.Scenario("fct-orders-failed")));

        Assert.Equal(0, exit);
        Assert.Matches(@"^weekly_revenue\s+blocked\s+acme/4f2a9c1b7e3d\s+fct_revenue_daily: skipped", Row(output, "weekly_revenue"));
    }

    [Fact]
    public async Task Files_UnparsableManifest_Exit2WithTheReason()
    {
        var args = FileArgs(AcmeProject.Scenario("full-build"));
        File.WriteAllText(args[1], "{\"nodes\": [");

        var (exit, _, err) = await Run(Env(null), args);

        Assert.Equal(2, exit);
        Assert.Contains("manifest.json cannot be read", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_Missing_Exit2NamingTheFile()
    {
        var missing = Path.Combine(_dir, "nope.json");

        var (exit, _, err) = await Run(Env(null), "--manifest", missing, "--run-results", missing);

        Assert.Equal(2, exit);
        Assert.Contains($"cannot read {missing}", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DbtCloud_TokenFromEnvironment_DecidesAndNeverPrintsIt()
    {
        await using var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(AcmeProject.Scenario("full-build"));

        var (exit, output, err) = await Run(Env(Token), "--account", "43786", "--run", "70001", "--base-url", dbt.BaseUrl);

        Assert.Equal(0, exit);
        Assert.StartsWith("dbt run 70001: Refresh 4 Mode reports for 4 exposures", output, StringComparison.Ordinal);
        Assert.Matches(@"^customer_health\s+refresh\s+acme/9b8c7d6e5f4a", Row(output, "customer_health"));
        Assert.DoesNotContain(Token, output + err, StringComparison.Ordinal);
        Assert.All(dbt.Calls, c => Assert.Equal($"Token {Token}", c.Authorization));
    }

    [Fact]
    public async Task DbtCloud_ErroredRun_NotDecidedUnlessIncluded()
    {
        await using var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(AcmeProject.Scenario("fct-orders-failed"));

        var plain = await Run(Env(Token), "--account", "43786", "--run", "70003", "--base-url", dbt.BaseUrl);
        var included = await Run(Env(Token), "--account", "43786", "--run", "70003", "--base-url", dbt.BaseUrl, "--include-errored");

        Assert.Equal(1, plain.Exit);
        Assert.Contains("Exposures:IncludeErroredRuns is false", plain.Out, StringComparison.Ordinal);
        Assert.Equal(0, included.Exit);
        Assert.Matches(@"^ops_notebook\s+refresh", Row(included.Out, "ops_notebook"));
    }

    [Fact]
    public async Task DbtCloud_RefusedToken_Exit1NamingTheVariable()
    {
        await using var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(AcmeProject.Scenario("full-build"));

        var (exit, output, _) = await Run(Env("dbtc_other"), "--account", "43786", "--run", "70001", "--base-url", dbt.BaseUrl);

        Assert.Equal(1, exit);
        Assert.Contains("'DBT_CLOUD_API_TOKEN'", output, StringComparison.Ordinal);
        Assert.Contains("401", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--account", "1", "--run", "2" }, "no token: set DBT_CLOUD_API_TOKEN")]
    [InlineData(new[] { "--account", "1", "--run", "2", "--token", "abc" }, "the token is read from DBT_CLOUD_API_TOKEN only")]
    [InlineData(new[] { "--token=abc" }, "the token is read from DBT_CLOUD_API_TOKEN only")]
    [InlineData(new[] { "--manifest", "m.json" }, "--manifest needs at least one --run-results")]
    [InlineData(new[] { "--run-results", "r.json" }, "--run-results needs --manifest")]
    [InlineData(new[] { "--frobnicate", "x" }, "unknown option --frobnicate")]
    [InlineData(new string[0], "give --manifest and --run-results, or --account and --run")]
    public async Task BadArguments_Exit2WithTheReason(string[] args, string error)
    {
        var (exit, _, err) = await Run(Env(null), args);

        Assert.Equal(2, exit);
        Assert.Contains("error: " + error, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DbtCloud_HttpBaseUrlOffLoopback_Exit2NamingTheOption()
    {
        var (exit, _, err) = await Run(Env(Token), "--account", "1", "--run", "2", "--base-url", "http://cloud.getdbt.com");

        Assert.Equal(2, exit);
        Assert.Contains("--base-url must be an absolute https URL", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_Exit0WithUsage()
    {
        var (exit, _, err) = await Run(Env(null), "--help");

        Assert.Equal(0, exit);
        Assert.Contains("DBT_CLOUD_API_TOKEN", err, StringComparison.Ordinal);
    }
}
