using ModeRefresh.Refresh.Planning.Routing;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class RoutingOptionsValidatorTests
{
    private static IReadOnlyList<string> Validate(RoutingOptions options) =>
        new RoutingOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Validate_EveryReportHasWorkspace_NoDefaultNeeded()
    {
        var options = new RoutingOptions { Reports = [new ReportRoute { Report = "r1", Jobs = ["1"], Workspace = "acme" }] };

        Assert.Empty(Validate(options));
    }

    [Fact]
    public void Validate_SeveralProblems_EachNamesEntryAndField()
    {
        var options = new RoutingOptions
        {
            Workspace = "acme",
            Reports =
            [
                new ReportRoute { Report = "ok", Jobs = ["1"] },
                new ReportRoute { Report = "r/1", Jobs = [], Workspace = "bad workspace" },
                new ReportRoute { Report = "", Jobs = ["1", ""], Environments = [" "] },
            ],
        };

        Assert.Equal(
        [
            "Refresh:Reports:1:Report must be a Mode report token (letters, digits, '.', '-' or '_', starting with a letter or digit), not a URL",
            "Refresh:Reports:1:Workspace must be a Mode workspace username (letters, digits, '.', '-' or '_', starting with a letter or digit)",
            "Refresh:Reports:1:Jobs must list at least one dbt job id, or \"*\" for every job",
            "Refresh:Reports:2:Report is required",
            "Refresh:Reports:2:Jobs:1 is empty",
            "Refresh:Reports:2:Environments:0 is empty",
        ], Validate(options));
    }

    [Fact]
    public void Validate_EmptyReportList_Valid()
    {
        Assert.Empty(Validate(new RoutingOptions()));
    }

    [Theory]
    [InlineData("..", "r1")]
    [InlineData(".", "r1")]
    [InlineData("acme", "..")]
    public void Validate_DotSegment_RefusedSoNoModePathCanBeReached(string workspace, string report)
    {
        var options = new RoutingOptions { Reports = [new ReportRoute { Report = report, Jobs = ["1"], Workspace = workspace }] };

        Assert.Single(Validate(options));
    }
}
