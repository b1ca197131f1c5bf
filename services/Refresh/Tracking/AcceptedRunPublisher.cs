using System.Text.Json;
using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Tracking;

/// <summary>Announces accepted Mode runs on <c>Subscription:RunsTopic</c> so other services can follow them.</summary>
public sealed partial class AcceptedRunPublisher(
    DaprClient dapr,
    IOptions<DaprOptions> components,
    IOptions<SubscriptionOptions> topics,
    ILogger<AcceptedRunPublisher> logger)
{
    /// <summary>Best effort: the run itself is done, and repeating the Mode call to re-announce it would be worse.</summary>
    public async Task PublishAsync(ModeReportRunAccepted run)
    {
        var data = JsonSerializer.SerializeToUtf8Bytes(run, ContractsJsonContext.Default.ModeReportRunAccepted);
        try
        {
            await components.Value.WithDeadline(
                t => dapr.PublishByteEventAsync(components.Value.PubsubName, topics.Value.RunsTopic, data, "application/json", cancellationToken: t),
                CancellationToken.None);
        }
        catch (DaprException ex)
        {
            LogPublishFailed(logger, ex, run.Workspace, run.Report, run.RunId, run.ModeRunToken);
        }
    }

    [LoggerMessage(EventId = 520, Level = LogLevel.Error,
        Message = "Could not publish accepted Mode run {Workspace}/{Report} for dbt run {RunId} (Mode run {ModeRunToken}); the run itself stands")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string workspace, string report, string runId, string modeRunToken);
}
