using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace ModeRefresh.Refresh.Health;

/// <summary>
/// <c>/healthz</c>: the process serves requests (no dependencies checked, so a sidecar outage does not get the
/// app restarted). <c>/readyz</c>: the sidecar is reachable. Both open, without the app API token.
/// </summary>
public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<SidecarHealthCheck>("dapr-sidecar", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(3));
        return builder;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return app;
    }
}
