namespace ModeRefresh.Refresh.Routing;

/// <summary>
/// Logs how many reports are configured at startup. An empty list is allowed (a staged rollout may start with
/// none) but every event would then be skipped, which deserves a warning rather than silence.
/// </summary>
internal sealed partial class RoutingNotice(ReportRouter router, ILogger<RoutingNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (router.Count == 0)
        {
            LogNoReports(logger);
        }
        else
        {
            LogReports(logger, router.Count);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "{Count} Mode report route(s) configured")]
    private static partial void LogReports(ILogger logger, int count);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning,
        Message = "No Mode reports configured (Refresh:Reports is empty): every dbt run will be skipped")]
    private static partial void LogNoReports(ILogger logger);
}
