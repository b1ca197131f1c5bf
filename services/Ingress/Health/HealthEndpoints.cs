using Dapr.Client;
using ModeRefresh.Ingress.Keys;

namespace ModeRefresh.Ingress.Health;

public sealed record Readiness(bool Sidecar, bool Keys);

public static class HealthEndpoints
{
    private static readonly TimeSpan SidecarProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Alive: the process answers. Never depends on the sidecar, so Kubernetes does not restart us for its faults.
        app.MapGet("/healthz", () => TypedResults.Ok("alive"));
        // Ready: the sidecar answers and at least one webhook key is loaded.
        app.MapGet("/readyz", ReadyAsync);
        return app;
    }

    private static async Task<IResult> ReadyAsync(DaprClient dapr, WebhookKeyStore keys, CancellationToken ct)
    {
        bool sidecar;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(SidecarProbeTimeout);
            sidecar = await dapr.CheckHealthAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or Dapr.DaprException)
        {
            sidecar = false;
        }
        var state = new Readiness(sidecar, keys.HasKeys);
        return sidecar && keys.HasKeys
            ? TypedResults.Ok(state)
            : TypedResults.Json(state, IngressJsonContext.Default.Readiness, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
