namespace ModeRefresh.Refresh.Auth;

/// <summary>Says at startup whether the endpoints are protected, so an open deployment is never silent.</summary>
internal sealed partial class AuthModeNotice(bool tokenRequired, ILogger<AuthModeNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (tokenRequired)
        {
            LogProtected(logger);
        }
        else
        {
            LogUnprotected(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "APP_API_TOKEN is set: every endpoint except /healthz and /readyz requires the dapr-api-token header")]
    private static partial void LogProtected(ILogger logger);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning,
        Message = "APP_API_TOKEN is not set: the subscription, /dapr/subscribe and /deadletters endpoints are unauthenticated")]
    private static partial void LogUnprotected(ILogger logger);
}
