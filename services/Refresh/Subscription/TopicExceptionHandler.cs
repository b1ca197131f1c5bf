using System.Text.Json;
using Dapr;
using Microsoft.AspNetCore.Diagnostics;

namespace ModeRefresh.Refresh.Subscription;

/// <summary>
/// Unexpected exceptions on a topic route still get a Dapr answer instead of an error page: an envelope that is
/// not JSON can never succeed (DROP); anything else may succeed on redelivery (RETRY). Other routes fall through
/// to the problem-details 500.
/// </summary>
internal sealed partial class TopicExceptionHandler(ILogger<TopicExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        // The middleware clears the endpoint before calling handlers; the feature keeps the one that failed.
        var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        if (endpoint?.Metadata.GetMetadata<ITopicMetadata>() is null)
        {
            return false;
        }

        var answer = exception is JsonException ? TopicAnswer.Drop : TopicAnswer.Retry;
        LogUnhandled(logger, exception, context.Request.Path, answer.Status);
        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(answer, SubscriptionJsonContext.Default.TopicAnswer, cancellationToken: ct);
        return true;
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Error, Message = "Unhandled exception delivering to {Path}; answering {Answer}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path, string answer);
}
