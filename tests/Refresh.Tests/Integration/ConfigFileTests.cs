using System.Text.Json.Nodes;
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
}
