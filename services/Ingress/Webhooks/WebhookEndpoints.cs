using System.Buffers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using ModeRefresh.Ingress.Keys;
using ModeRefresh.Ingress.Publishing;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress.Webhooks;

public sealed record WebhookAccepted(string EventId, string? Topic, bool Published);

public static class WebhookEndpoints
{
    public static IEndpointRouteBuilder MapDbtWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/dbt", HandleAsync).WithName("DbtWebhook");
        return app;
    }

    // Order matters: size cap, then keys (fail closed), then signature — all before any JSON is parsed.
    private static async Task<IResult> HandleAsync(
        HttpRequest request, WebhookKeyStore keyStore, EventPublisher publisher, RejectionMonitor rejections,
        IngressMetrics metrics, IOptions<IngressOptions> options, ILogger<WebhookAccepted> logger, CancellationToken ct)
    {
        var o = options.Value;
        var (buffer, length) = await BodyReader.ReadCappedAsync(request, o.MaxBodyBytes, ct);
        if (buffer is null) return Refuse(rejections, metrics, StatusCodes.Status413PayloadTooLarge, "body too large");
        try
        {
            var body = buffer.AsMemory(0, length);
            var keys = await keyStore.GetKeysAsync(ct);
            // Fail closed. Counted and summarised like every refusal, never logged per request: the key store logs
            // why there is no key (once per reason), and the reachability tracker a missing sidecar (once).
            if (keys.Count == 0) return Refuse(rejections, metrics, StatusCodes.Status503ServiceUnavailable, "no webhook key available");

            var signature = request.Headers[HeaderNames.Authorization].ToString();
            if (signature.Length == 0) return Refuse(rejections, metrics, StatusCodes.Status401Unauthorized, "missing signature");
            if (!SignatureVerifier.Verify(body.Span, signature, keys)
                && !(await keyStore.ReloadAfterFailedVerificationAsync(ct)
                     && SignatureVerifier.Verify(body.Span, signature, keyStore.Current)))
            {
                return Refuse(rejections, metrics, StatusCodes.Status401Unauthorized, "invalid signature");
            }

            if (!Contracts.DbtRunEventReader.TryRead(body, "body", out var evt, out var error))
                return Refuse(rejections, metrics, StatusCodes.Status400BadRequest, error!);

            var topic = o.TopicFor(evt!.EventType);
            if (topic is null)
            {
                IngressLog.NotPublished(logger, evt.EventId, evt.EventType, evt.Data.JobId, evt.Data.RunId);
                metrics.Webhook("not_published");
                return TypedResults.Accepted((string?)null, new WebhookAccepted(evt.EventId, null, false));
            }

            var outcome = await publisher.PublishAsync(topic, evt, ct);
            if (!outcome.IsAccepted)
            {
                IngressLog.PublishFailed(logger, evt.EventId, evt.Data.JobId, evt.Data.RunId, topic, outcome.Failure!);
                metrics.Webhook("publish_failed");
                return ServiceProblem.For(StatusCodes.Status503ServiceUnavailable, "event could not be published; retry later");
            }

            metrics.Webhook("published");
            IngressLog.Published(logger, evt.EventType, evt.EventId, evt.Data.JobId, evt.Data.RunId, topic);
            return TypedResults.Accepted((string?)null, new WebhookAccepted(evt.EventId, topic, true));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The one error shape (problem details), the reason as its detail.
    private static ProblemHttpResult Refuse(RejectionMonitor rejections, IngressMetrics metrics, int status, string reason)
    {
        metrics.Webhook("rejected");
        rejections.Rejected(status, reason);
        return ServiceProblem.For(status, reason);
    }
}
