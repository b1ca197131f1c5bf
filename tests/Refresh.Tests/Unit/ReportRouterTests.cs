using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Refresh.Mode;
using ModeRefresh.Refresh.Planning.Routing;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class ReportRouterTests
{
    private static ReportRouter Router(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build();
        var options = configuration.GetSection(RoutingOptions.SectionName).Get<RoutingOptions>() ?? new RoutingOptions();
        Assert.True(new RoutingOptionsValidator().Validate(null, options).Succeeded);
        return new ReportRouter(Options.Create(options));
    }

    private static DbtRunData Run(string? job = "123", string? environmentId = "1234", string? environmentName = "Production") =>
        new() { JobId = job, RunId = "1", EnvironmentId = environmentId, EnvironmentName = environmentName };

    [Fact]
    public void Match_JobListed_ReturnsReportWithDefaultWorkspace()
    {
        var router = Router(("Refresh:Workspace", "acme"), ("Refresh:Reports:0:Report", "r1"), ("Refresh:Reports:0:Jobs:0", "123"));

        var target = Assert.Single(router.Match(Run()));

        Assert.Equal(new ReportTarget("acme", "r1", "{}"), target);
    }

    [Fact]
    public void Match_JobNotListed_ReturnsNothing()
    {
        var router = Router(("Refresh:Workspace", "acme"), ("Refresh:Reports:0:Report", "r1"), ("Refresh:Reports:0:Jobs:0", "456"));

        Assert.Empty(router.Match(Run()));
    }

    [Fact]
    public void Match_NoJobIdInEvent_OnlyWildcardMatches()
    {
        var router = Router(("Refresh:Workspace", "acme"),
            ("Refresh:Reports:0:Report", "r1"), ("Refresh:Reports:0:Jobs:0", "123"),
            ("Refresh:Reports:1:Report", "r2"), ("Refresh:Reports:1:Jobs:0", "*"));

        Assert.Equal(["r2"], router.Match(Run(job: null)).Select(t => t.Report));
    }

    [Fact]
    public void Match_WildcardAndSeveralReports_ReturnsAllInConfiguredOrder()
    {
        var router = Router(("Refresh:Workspace", "acme"),
            ("Refresh:Reports:0:Report", "r1"), ("Refresh:Reports:0:Jobs:0", "*"),
            ("Refresh:Reports:1:Report", "r2"), ("Refresh:Reports:1:Jobs:0", "9"), ("Refresh:Reports:1:Jobs:1", "123"),
            ("Refresh:Reports:2:Report", "r3"), ("Refresh:Reports:2:Jobs:0", "9"));

        Assert.Equal(["r1", "r2"], router.Match(Run()).Select(t => t.Report));
    }

    [Theory]
    [InlineData("1234", true)]
    [InlineData("production", true)]
    [InlineData("Staging", false)]
    public void Match_EnvironmentsGiven_MatchesIdOrNameCaseInsensitively(string environment, bool matches)
    {
        var router = Router(("Refresh:Workspace", "acme"), ("Refresh:Reports:0:Report", "r1"),
            ("Refresh:Reports:0:Jobs:0", "123"), ("Refresh:Reports:0:Environments:0", environment));

        Assert.Equal(matches, router.Match(Run()).Count == 1);
    }

    [Fact]
    public void Match_SameReportListedTwice_FirstEntryWins()
    {
        var router = Router(("Refresh:Workspace", "acme"),
            ("Refresh:Reports:0:Report", "r1"), ("Refresh:Reports:0:Jobs:0", "*"), ("Refresh:Reports:0:Parameters:a", "first"),
            ("Refresh:Reports:1:Report", "r1"), ("Refresh:Reports:1:Jobs:0", "123"), ("Refresh:Reports:1:Parameters:a", "second"));

        var target = Assert.Single(router.Match(Run()));
        Assert.Equal("""{"a":"first"}""", target.ParametersJson);
    }

    [Fact]
    public void Match_SameReportInTwoWorkspaces_BothRun()
    {
        var router = Router(("Refresh:Workspace", "acme"),
            ("Refresh:Reports:0:Report", "r1"), ("Refresh:Reports:0:Jobs:0", "*"),
            ("Refresh:Reports:1:Report", "r1"), ("Refresh:Reports:1:Jobs:0", "*"), ("Refresh:Reports:1:Workspace", "other"));

        Assert.Equal(["acme", "other"], router.Match(Run()).Select(t => t.Workspace));
    }

    [Fact]
    public void Match_NestedParameters_KeepsObjectsAndArrays()
    {
        var router = Router(("Refresh:Workspace", "acme"), ("Refresh:Reports:0:Report", "r1"), ("Refresh:Reports:0:Jobs:0", "*"),
            ("Refresh:Reports:0:Parameters:ids:0", "1"), ("Refresh:Reports:0:Parameters:ids:1", "2"),
            ("Refresh:Reports:0:Parameters:range:from", "2024-01-01"), ("Refresh:Reports:0:Parameters:name", "x"));

        Assert.Equal("""{"ids":["1","2"],"name":"x","range":{"from":"2024-01-01"}}""", Assert.Single(router.Match(Run())).ParametersJson);
    }

    [Fact]
    public void Match_TemplateParameters_FilledFromTheRunPerMatch()
    {
        var router = Router(("Refresh:Workspace", "acme"), ("Refresh:Reports:0:Report", "r1"), ("Refresh:Reports:0:Jobs:0", "*"),
            ("Refresh:Reports:0:Parameters:run", "dbt run {runId} of job {jobId}"), ("Refresh:Reports:0:Parameters:env:0", "{environmentId}"),
            ("Refresh:Reports:0:Parameters:env:1", "{environmentName}"), ("Refresh:Reports:0:Parameters:at", "{runFinishedAt}"),
            ("Refresh:Reports:0:Parameters:project", "{projectId}"), ("Refresh:Reports:0:Parameters:plain", "{ not one } {"));
        var run = new DbtRunData
        {
            JobId = "123", RunId = "987", EnvironmentId = "1234", EnvironmentName = "Prod \"EU\"", ProjectId = "167194",
            RunFinishedAt = "2023-01-31T19:29:32Z",
        };

        var first = Assert.Single(router.Match(run)).ParametersJson;
        var second = Assert.Single(router.Match(run with { RunId = "988", ProjectId = null })).ParametersJson;

        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(
            """{"run":"dbt run 987 of job 123","env":["1234","Prod \"EU\""],"at":"2023-01-31T19:29:32Z","project":"167194","plain":"{ not one } {"}"""),
            System.Text.Json.Nodes.JsonNode.Parse(first)), first);
        var again = System.Text.Json.Nodes.JsonNode.Parse(second)!;
        Assert.Equal("dbt run 988 of job 123", again["run"]!.GetValue<string>());
        Assert.Equal("", again["project"]!.GetValue<string>()); // the run has no project id: empty
    }

    [Fact]
    public void Validate_UnknownPlaceholder_ErrorNamesTheKeyAndThePlaceholder()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Refresh:Workspace"] = "acme", ["Refresh:Reports:0:Report"] = "r1", ["Refresh:Reports:0:Jobs:0"] = "*",
            ["Refresh:Reports:0:Parameters:run"] = "{runid}",
        }).Build();
        var options = configuration.GetSection(RoutingOptions.SectionName).Get<RoutingOptions>()!;

        var failure = Assert.Single(new RoutingOptionsValidator().Validate(null, options).Failures!);

        Assert.StartsWith("Refresh:Reports:0:Parameters uses unknown placeholder {runid}; known: {jobId}, {runId},", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Match_NoReportsConfigured_ReturnsNothing()
    {
        var router = Router(("Refresh:Workspace", "acme"));

        Assert.Equal(0, router.Count);
        Assert.Empty(router.Match(Run()));
    }
}
