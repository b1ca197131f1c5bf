using Microsoft.Extensions.DependencyInjection;
using ModeRefresh.Lineage.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests;

/// <summary>
/// The one call Refresh makes, end to end against the fake dbt Cloud Admin API over loopback HTTP: the shared
/// README's scenarios, and the calls it takes to decide them.
/// </summary>
public sealed class ExposureRouterTests
{
    private const string Token = "dbtc_test-token-1";
    private const string Account = "43786";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string[]> ExpectedReports = new()
    {
        ["full-build"] = ["acme-finance/0a1b2c3d4e5f", "acme/1c2d3e4f5a6b", "acme/4f2a9c1b7e3d", "acme/9b8c7d6e5f4a"],
        ["staging-only"] = ["acme/1c2d3e4f5a6b"],
        ["fct-orders-failed"] = ["acme/1c2d3e4f5a6b"], // with Exposures:IncludeErroredRuns
        ["two-steps"] = ["acme-finance/0a1b2c3d4e5f", "acme/1c2d3e4f5a6b", "acme/4f2a9c1b7e3d"],
    };

    [Theory]
    [MemberData(nameof(Scenarios.All), MemberType = typeof(Scenarios))]
    public async Task DecideAsync_Scenario_ReadsEveryStepAndDecidesAsTheReadmeSays(string source, string scenario)
    {
        var run = Scenarios.Run(source, scenario);
        await using var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(run);
        await using var services = LineageServices.Build(dbt.BaseUrl, ("Exposures:IncludeErroredRuns", "true"));

        var outcome = await services.GetRequiredService<ExposureRouter>()
            .DecideAsync(Account, run.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Status, Token, Ct);

        var decided = Assert.IsType<LineageOutcome.Decided>(outcome);
        Assert.Equal(ExpectedReports[scenario], decided.Decision.Reports.Select(r => r.ToString()).Order(StringComparer.Ordinal));
        var calls = dbt.Calls;
        Assert.All(calls, c => Assert.Equal($"Token {Token}", c.Authorization));
        Assert.All(calls, c => Assert.DoesNotContain("//", c.Path, StringComparison.Ordinal));
        var run1 = Assert.Single(calls, c => c.Target == FakeDbtCloudTarget.Run);
        Assert.Equal("?include_related=%5B%22run_steps%22%5D", run1.Query);
        // run_results of every step, not only the default (last) one; 404 for the platform's own steps.
        Assert.Equal(run.Steps.Select(s => (int?)s.Index), calls.Where(c => c.Target == FakeDbtCloudTarget.RunResults).Select(c => c.Step).Order());
        Assert.All(calls.Where(c => c.Target == FakeDbtCloudTarget.RunResults && c.Step <= 3), c => Assert.Equal(404, c.StatusCode));
        var manifest = Assert.Single(calls, c => c.Target == FakeDbtCloudTarget.Manifest);
        Assert.Equal(run.Steps.Last(s => s.RunResults is not null).Index, manifest.Step);
        Assert.Equal(run.Steps.Where(s => s.RunResults is not null).Select(s => s.Index), decided.StepsRead);
        Assert.StartsWith($"dbt run {run.RunId}: Refresh ", outcome.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Scenarios.Generated)]
    [InlineData(Scenarios.Shared)]
    public async Task DecideAsync_ErroredRunByDefault_NotEligibleWithoutAnyCall(string source)
    {
        var run = Scenarios.Run(source, "fct-orders-failed");
        await using var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(run);
        await using var services = LineageServices.Build(dbt.BaseUrl);

        var outcome = await services.GetRequiredService<ExposureRouter>().DecideAsync(Account, "70003", 20, Token, Ct);

        var notEligible = Assert.IsType<LineageOutcome.NotEligible>(outcome);
        Assert.Contains("Exposures:IncludeErroredRuns is false", notEligible.Reason, StringComparison.Ordinal);
        Assert.Empty(dbt.Calls);
    }

    [Fact]
    public async Task DecideAsync_NoStatusGiven_UsesTheApisAndSkipsTheErroredRun()
    {
        await using var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(AcmeProject.Scenario("fct-orders-failed"));
        await using var services = LineageServices.Build(dbt.BaseUrl);

        var outcome = await services.GetRequiredService<ExposureRouter>().DecideAsync(Account, "70003", null, Token, Ct);

        Assert.IsType<LineageOutcome.NotEligible>(outcome);
        Assert.Equal([FakeDbtCloudTarget.Run], dbt.Calls.Select(c => c.Target));
    }

    [Theory]
    [InlineData(30, "cancelled")]
    [InlineData(3, "has not finished")]
    public async Task DecideAsync_OtherStatuses_NotEligible(int status, string reason)
    {
        await using var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        await using var services = LineageServices.Build(dbt.BaseUrl, ("Exposures:IncludeErroredRuns", "true"));

        var outcome = await services.GetRequiredService<ExposureRouter>().DecideAsync(Account, "70001", status, Token, Ct);

        Assert.Contains(reason, Assert.IsType<LineageOutcome.NotEligible>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_RunWithoutStepsInTheAnswer_FallsBackToTheDefaultArtifact()
    {
        await using var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(AcmeProject.Scenario("two-steps") with { HideSteps = true });
        await using var services = LineageServices.Build(dbt.BaseUrl);

        var outcome = await services.GetRequiredService<ExposureRouter>().DecideAsync(Account, "70004", 10, Token, Ct);

        // Only the last step's results are then known: what the API gives, said in the explanation.
        var decided = Assert.IsType<LineageOutcome.Decided>(outcome);
        Assert.Equal([null], dbt.Calls.Where(c => c.Target == FakeDbtCloudTarget.RunResults).Select(c => c.Step));
        Assert.Contains("Results read: run_results.json (build, 1 result)", decided.Explanation, StringComparison.Ordinal);
        Assert.Empty(decided.StepsRead);
    }
}
