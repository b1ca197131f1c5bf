using System.Text.Json;
using Dapr;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.DeadLetters;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.Runs;

namespace ModeRefresh.Refresh.Delivery;

/// <summary>
/// Unexpected exceptions on a topic route still get a Dapr answer instead of an error page. A delivery whose body
/// or envelope cannot be read will never be readable: DROP, with the reason logged (daprd then forwards it to the
/// dead-letter topic). The same delivery on the dead-letter route is kept in the dead-letter list with that reason,
/// since the dead-letter handler cannot read it either. Anything else may succeed on redelivery (RETRY).
/// Other routes fall through to the problem-details 500.
/// </summary>
internal sealed partial class TopicExceptionHandler(
    DeadLetterStore deadLetters,
    IOptions<SubscriptionOptions> topics,
    TimeProvider time,
    ILogger<TopicExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        // The middleware clears the endpoint before calling handlers; the feature keeps the one that failed.
        var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        var topic = endpoint?.Metadata.GetMetadata<ITopicMetadata>();
        if (topic is null)
        {
            return false;
        }

        var unreadable = context.RequestAborted.IsCancellationRequested ? null : Unreadable(context, exception);
        var reason = unreadable is null ? null : LogText.Safe(unreadable);
        TopicAnswer answer;
        if (reason is null)
        {
            answer = TopicAnswer.Retry;
            LogUnhandled(logger, exception, context.Request.Path, answer.Status);
        }
        else if (topic.Name == topics.Value.DeadLetterTopic)
        {
            answer = await KeepUnreadableDeadLetterAsync(reason, ct);
        }
        else
        {
            answer = TopicAnswer.Drop;
            LogUnreadable(logger, context.Request.Path, reason);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(answer, SubscriptionJsonContext.Default.TopicAnswer, cancellationToken: ct);
        return true;
    }

    /// <summary>Why the delivery can never be read, or null when the failure may pass (or is not about the request).</summary>
    internal static string? Unreadable(HttpContext context, Exception exception)
    {
        var inEnvelope = context.Features.Get<EnvelopeStage>() is { Unwrapped: false };
        return exception switch
        {
            BadHttpRequestException bad => $"the request body cannot be read ({bad.StatusCode}: {bad.Message})",
            InvalidDataException { Message: Utf8ValidatingStream.Message } => "the CloudEvent envelope is not valid UTF-8, so not JSON (RFC 8259 section 8.1)",
            JsonException json => $"the {(inEnvelope ? "CloudEvent envelope" : "event data")} is not JSON ({json.Message})",
            InvalidOperationException or FormatException or ArgumentException when inEnvelope =>
                $"the CloudEvent envelope cannot be read: {exception.GetType().Name}: {exception.Message}",
            _ => null,
        };
    }

    private async Task<TopicAnswer> KeepUnreadableDeadLetterAsync(string reason, CancellationToken ct)
    {
        // No id can be read from such an envelope; the generated one keeps entries apart in the list.
        var entry = new DeadLetterEntry
        {
            CloudEventId = $"unreadable-{Guid.NewGuid():N}",
            Reason = $"dead letter kept without its payload: {reason}",
            DeadLetteredAt = time.GetUtcNow(),
        };
        LogUnreadableDeadLetter(logger, entry.CloudEventId, reason);
        return await deadLetters.AppendAsync(entry, ReadOnlyMemory<byte>.Empty, ct) ? TopicAnswer.Success : TopicAnswer.Retry;
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Error, Message = "Unhandled exception delivering to {Path}; answering {Answer}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path, string answer);

    [LoggerMessage(EventId = 511, Level = LogLevel.Error,
        Message = "Dropping a delivery to {Path}: {Reason}. It can never be handled; daprd forwards it to the dead-letter topic")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 512, Level = LogLevel.Error, Message = "Dead-lettered event {Id} kept without its payload: {Reason}")]
    private static partial void LogUnreadableDeadLetter(ILogger logger, string id, string reason);
}
