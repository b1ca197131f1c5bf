using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class ConfigFileTests
{
    [Fact]
    public async Task Start_RoutesFromMountedFile_RunsReportWithParametersAsStrings()
    {
        var path = Path.Combine(Path.GetTempPath(), $"refresh-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """
            {
              "Refresh": {
                "Workspace": "acme",
                "Reports": [
                  { "Report": "fromfile", "Jobs": [ "123" ], "Environments": [ "Production" ],
                    "Parameters": { "user_id": 123, "location": "San Francisco", "regions": [ "EU", "US" ] } },
                  { "Report": "staging-only", "Jobs": [ "*" ], "Environments": [ "999" ] }
                ]
              }
            }
            """, TestContext.Current.CancellationToken);
        try
        {
            await using var app = await RefreshApp.StartAsync(new Dictionary<string, string?> { ["REFRESH_CONFIG_FILE"] = path });

            Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

            var call = Assert.Single(app.Mode.Calls);
            Assert.Equal("/api/acme/reports/fromfile/runs", call.Path);
            Assert.True(JsonNode.DeepEquals(
                JsonNode.Parse("""{"user_id":"123","location":"San Francisco","regions":["EU","US"]}"""), call.Parameters), call.Body);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Start_ConfigFileMissing_FailsToStart()
    {
        var exception = await RefreshApp.StartFailureAsync(new Dictionary<string, string?>
        {
            ["REFRESH_CONFIG_FILE"] = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json"),
        });

        Assert.Contains(((AggregateException)exception).Flatten().InnerExceptions, e => e is FileNotFoundException);
    }

    [Fact]
    public async Task Start_RoutesFromEnvironmentStyleKeys_RunsReport()
    {
        // Environment variables arrive as these keys (Refresh__Reports__0__Report → Refresh:Reports:0:Report).
        await using var app = await RefreshApp.StartAsync(new Dictionary<string, string?>
        {
            ["Refresh:Workspace"] = null,
            ["Refresh:Reports:0:Report"] = "fromenv",
            ["Refresh:Reports:0:Workspace"] = "other",
            ["Refresh:Reports:0:Jobs:0"] = "123",
        });

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Equal("/api/other/reports/fromenv/runs", Assert.Single(app.Mode.Calls).Path);
    }

    [Fact]
    public async Task Start_RoutesInFileAndInSettingsBoth_FailsNamingBothSources()
    {
        // The mistake the example routes in dapr.yaml made easy: index 0 of one source silently replaced index 0 of the other.
        var path = await WriteRoutesFileAsync();
        try
        {
            var exception = await RefreshApp.StartFailureAsync(RefreshApp.Merge(
                RefreshApp.Report(0, "placeholder", "*"), new Dictionary<string, string?> { ["REFRESH_CONFIG_FILE"] = path }));

            var failure = Assert.Single(((AggregateException)exception).Flatten().InnerExceptions.OfType<OptionsValidationException>()
                .SelectMany(e => e.Failures).Distinct());
            Assert.StartsWith("Refresh:Reports is set in more than one configuration source (", failure, StringComparison.Ordinal);
            Assert.Contains($"file {path}", failure, StringComparison.Ordinal);
            Assert.Equal(2, failure[..failure.IndexOf(')', StringComparison.Ordinal)].Split(';').Length);
            Assert.DoesNotContain('\n', failure);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Start_RoutesInOneFile_LogsRouteTableAndSourceWithoutParameterValues()
    {
        var path = await WriteRoutesFileAsync();
        try
        {
            await using var app = await RefreshApp.StartAsync(new Dictionary<string, string?> { ["REFRESH_CONFIG_FILE"] = path });
            Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

            var info = app.Logs.Lines.Where(l => l.Category.EndsWith("RoutingNotice", StringComparison.Ordinal)).Select(l => l.Message).ToList();
            Assert.Equal(
            [
                $"2 Mode report route(s) configured, from file {path}",
                "Route 0: successful runs of dbt job 123 in environment Production -> Mode report acme/fromfile (parameters location, regions, user_id)",
                "Route 1: successful runs of every dbt job in environment 999 -> Mode report other/staging-only (no parameters)",
            ], info);
            Assert.DoesNotContain(app.Logs.Lines, l => l.Message.Contains("San Francisco", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Start_NoRoutes_StartsAndWarnsThatNoReportRunsAndWhereRoutesGo()
    {
        await using var app = await RefreshApp.StartAsync();

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));
        var warning = Assert.Single(app.Logs.Lines, l => l.Level == LogLevel.Warning && l.Message.StartsWith("No Mode report will run", StringComparison.Ordinal));
        Assert.Contains("REFRESH_CONFIG_FILE", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Refresh__Reports__0__Report", warning.Message, StringComparison.Ordinal);
        Assert.Empty(app.Mode.Calls);
    }

    private static async Task<string> WriteRoutesFileAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"refresh-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """
            {
              "Refresh": {
                "Workspace": "acme",
                "Reports": [
                  { "Report": "fromfile", "Jobs": [ "123" ], "Environments": [ "Production" ],
                    "Parameters": { "user_id": 123, "location": "San Francisco", "regions": [ "EU", "US" ] } },
                  { "Report": "staging-only", "Workspace": "other", "Jobs": [ "*" ], "Environments": [ "999" ] }
                ]
              }
            }
            """, TestContext.Current.CancellationToken);
        return path;
    }
}
