namespace ModeRefresh.Ingress;

/// <summary>Source-generated log messages. None of them carries a key, a signature or a header value.</summary>
internal static partial class IngressLog
{
    [LoggerMessage(1, LogLevel.Information, "Published {EventType} event {EventId} (job {JobId}, run {RunId}) to {Topic}")]
    public static partial void Published(ILogger logger, string eventType, string eventId, string? jobId, string? runId, string topic);

    [LoggerMessage(2, LogLevel.Information, "Event {EventId} of type {EventType} (job {JobId}, run {RunId}) has no topic; not published")]
    public static partial void NotPublished(ILogger logger, string eventId, string eventType, string? jobId, string? runId);

    [LoggerMessage(3, LogLevel.Warning, "Publishing event {EventId} (job {JobId}, run {RunId}) to {Topic} failed: {Reason}; answered 503 so dbt retries")]
    public static partial void PublishFailed(ILogger logger, string eventId, string? jobId, string? runId, string topic, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Webhook refused with {Status}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int status, string reason);

    [LoggerMessage(5, LogLevel.Warning, "{Count} webhooks refused in the last {Interval}: {Reasons} (see metric moderefresh.ingress.webhooks.rejected)")]
    public static partial void RejectionsSummary(ILogger logger, long count, TimeSpan interval, string reasons);

    [LoggerMessage(6, LogLevel.Information, "Loaded {Count} webhook key(s) from secret {SecretName} in store {Store}")]
    public static partial void KeysLoaded(ILogger logger, int count, string store, string secretName);

    [LoggerMessage(7, LogLevel.Warning, "Reading secret {SecretName} from store {Store} failed ({Error}); keeping {Count} known key(s)")]
    public static partial void KeysLoadFailed(ILogger logger, string store, string secretName, int count, string error);

    [LoggerMessage(12, LogLevel.Debug, "Reading secret {SecretName} from store {Store} failed again ({Error}); keeping {Count} known key(s)")]
    public static partial void KeysLoadFailedAgain(ILogger logger, string store, string secretName, int count, string error);

    [LoggerMessage(10, LogLevel.Error, "The Dapr sidecar is not reachable at {Address} ({Api}: {Detail}); start it with `dapr run -f .` " +
        "(webhooks are answered 503 until it is)")]
    public static partial void SidecarUnreachable(ILogger logger, Uri address, string api, string detail);

    [LoggerMessage(11, LogLevel.Information, "The Dapr sidecar answers again at {Address}")]
    public static partial void SidecarReachableAgain(ILogger logger, Uri address);

    [LoggerMessage(9, LogLevel.Information, "The Dapr sidecar does not serve {Api}; publishing with {Fallback} from now on")]
    public static partial void PublishApiFallback(ILogger logger, string api, string fallback);
}
