using Microsoft.Extensions.Options;
using ModeRefresh.Lineage;

namespace ModeRefresh.Refresh.Planning.Routing;

/// <summary>
/// Logs the route table at startup, one line per route (jobs and environments → workspace/report and parameter
/// names; parameter values are not logged), and which configuration source it came from. An empty table is
/// allowed (a staged rollout may start with none) but every event would then be skipped, which deserves a
/// warning saying where routes go.
/// </summary>
internal sealed partial class RoutingNotice(
    IOptions<RoutingOptions> options, IOptions<ExposureOptions> exposures, RouteSources sources, ILogger<RoutingNotice> logger) : IHostedService
{
    /// <summary>A table this long is already more than anyone reads at start; the rest is counted.</summary>
    public const int MaxListed = 50;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var value = options.Value;
        if (value.Reports.Count == 0)
        {
            // With exposures on, an empty table is a normal set-up: the dbt project's exposures decide.
            if (exposures.Value.Enabled)
            {
                LogExposuresOnly(logger);
            }
            else
            {
                LogNoReports(logger);
            }

            return Task.CompletedTask;
        }

        LogReports(logger, value.Reports.Count, sources.ToString());
        for (var i = 0; i < Math.Min(MaxListed, value.Reports.Count); i++)
        {
            var route = value.Reports[i];
            LogRoute(logger, i, Jobs(route), Environments(route),
                (string.IsNullOrWhiteSpace(route.Workspace) ? value.Workspace : route.Workspace)?.Trim() ?? "",
                route.Report?.Trim() ?? "", Parameters(route));
        }

        if (value.Reports.Count > MaxListed)
        {
            LogMore(logger, value.Reports.Count - MaxListed);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static string Jobs(ReportRoute route) =>
        route.Jobs.Any(j => j.Trim() == ReportRouter.AnyJob) ? "every dbt job" : $"dbt job {string.Join(", ", route.Jobs.Select(j => j.Trim()))}";

    private static string Environments(ReportRoute route) =>
        route.Environments is { Count: > 0 } list ? $"in environment {string.Join(", ", list.Select(e => e.Trim()))}" : "in any environment";

    private static string Parameters(ReportRoute route)
    {
        var names = route.Parameters?.GetChildren().Select(c => c.Key).ToList() ?? [];
        return names.Count == 0 ? "no parameters" : "parameters " + string.Join(", ", names);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "{Count} Mode report route(s) configured, from {Source}")]
    private static partial void LogReports(ILogger logger, int count, string source);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information,
        Message = "Route {Index}: successful runs of {Jobs} {Environments} -> Mode report {Workspace}/{Report} ({Parameters})")]
    private static partial void LogRoute(ILogger logger, int index, string jobs, string environments, string workspace, string report, string parameters);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "... and {Count} more route(s), not listed")]
    private static partial void LogMore(ILogger logger, int count);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning,
        Message = "No Mode report will run: Refresh:Reports is empty, so every dbt run is skipped. Routes go under Refresh:Reports " +
                  "in appsettings.json, in the JSON file named by REFRESH_CONFIG_FILE, or in environment variables such as " +
                  "Refresh__Reports__0__Report and Refresh__Reports__0__Jobs__0 (README.md, section Refresh)")]
    private static partial void LogNoReports(ILogger logger);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information,
        Message = "No Mode report route configured (Refresh:Reports is empty): only the dbt project's exposures decide which reports run (Exposures:Enabled)")]
    private static partial void LogExposuresOnly(ILogger logger);
}
