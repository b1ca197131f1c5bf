namespace ModeRefresh.Ingress.Health;

/// <summary>
/// <c>/readyz</c>'s answer. <paramref name="Sidecar"/>: the sidecar's health endpoint says ready; <paramref name="Publishing"/>:
/// the channel webhooks publish through is connected; <paramref name="Keys"/>: a webhook key is loaded;
/// <paramref name="Reason"/>: why not ready, or null.
/// </summary>
public sealed record Readiness(bool Sidecar, bool Publishing, bool Keys, string? Reason);

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Alive: the process answers. Never depends on the sidecar, so Kubernetes does not restart us for its faults.
        app.MapGet("/healthz", () => TypedResults.Ok("alive"));
        // Ready: a webhook would not be refused for the sidecar's sake (see ReadinessProbe).
        app.MapGet("/readyz", ReadyAsync);
        return app;
    }

    private static async Task<IResult> ReadyAsync(ReadinessProbe probe, CancellationToken ct)
    {
        var state = await probe.CheckAsync(ct);
        return state.Reason is null
            ? TypedResults.Ok(state)
            : TypedResults.Json(state, IngressJsonContext.Default.Readiness, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
