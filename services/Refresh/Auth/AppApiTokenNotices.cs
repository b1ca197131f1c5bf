namespace ModeRefresh.Refresh.Auth;

/// <summary>
/// Makes an APP_API_TOKEN set on one side only visible in this app's log. Bounded: the subscription refusal is
/// logged at most once per <see cref="RepeatInterval"/> (anyone can call the route), the unneeded token once.
/// </summary>
/// <remarks>
/// daprd asks <c>GET /dapr/subscribe</c> once while it starts and retries only on a connection error: a 401 is
/// logged by daprd ("app returned http status code 401 from subscription endpoint") and leaves the app with no
/// subscriptions until daprd restarts (dapr/dapr v1.18.0 pkg/runtime/pubsub/subscriptions.go, GetSubscriptionsHTTP).
/// daprd sends <c>dapr-api-token</c> on every call to the app when its own APP_API_TOKEN is set
/// (pkg/channel/http/http_channel.go).
/// </remarks>
public sealed partial class AppApiTokenNotices(TimeProvider time, ILogger<AppApiTokenNotices> logger)
{
    public const string SubscribePath = "/dapr/subscribe";

    public static readonly TimeSpan RepeatInterval = TimeSpan.FromMinutes(1);

    private readonly Lock gate = new();
    private DateTimeOffset? lastSubscribeRefusal;
    private int suppressed;
    private int tokenNoticeWritten;

    public void SubscribeRefused(bool headerPresent)
    {
        int more;
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (lastSubscribeRefusal is { } last && now - last < RepeatInterval)
            {
                suppressed++;
                return;
            }

            lastSubscribeRefusal = now;
            more = suppressed;
            suppressed = 0;
        }

        if (headerPresent)
        {
            LogSubscribeWrongToken(logger, more);
        }
        else
        {
            LogSubscribeNoToken(logger, more);
        }
    }

    public void TokenSentButNotRequired(PathString path)
    {
        if (Interlocked.Exchange(ref tokenNoticeWritten, 1) == 0)
        {
            LogTokenNotRequired(logger, Hosting.LogText.Safe(path.Value));
        }
    }

    [LoggerMessage(EventId = 102, Level = LogLevel.Error,
        Message = "Refused GET /dapr/subscribe: the request has no dapr-api-token header, but APP_API_TOKEN is set for this app. " +
                  "daprd asks for subscriptions only once, when it starts, so NO EVENTS WILL BE DELIVERED to this app. " +
                  "Give daprd the same APP_API_TOKEN as the app (or unset it for both), then restart daprd. ({Suppressed} more refusal(s) since the last report)")]
    private static partial void LogSubscribeNoToken(ILogger logger, int suppressed);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error,
        Message = "Refused GET /dapr/subscribe: its dapr-api-token header does not match this app's APP_API_TOKEN. " +
                  "daprd asks for subscriptions only once, when it starts, so NO EVENTS WILL BE DELIVERED to this app. " +
                  "Set APP_API_TOKEN to the same value for the app and for daprd, then restart daprd. ({Suppressed} more refusal(s) since the last report)")]
    private static partial void LogSubscribeWrongToken(ILogger logger, int suppressed);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning,
        Message = "A request to {Path} carries a dapr-api-token header, but APP_API_TOKEN is not set for this app, so its endpoints " +
                  "accept requests without it. Set APP_API_TOKEN for the app to the value its daprd has.")]
    private static partial void LogTokenNotRequired(ILogger logger, string path);
}
