using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Health;

/// <summary>
/// Refresh's readiness: the shared <c>/healthz</c> and <c>/readyz</c> (<see cref="ServiceHealth"/>, mapped by
/// MapServiceDefaults) with one check, the sidecar reachable and ready over both its ports.
/// </summary>
public static class HealthEndpoints
{
    public const string SidecarCheck = "dapr-sidecar";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        // A backstop only: each half of the probe has its own shorter bound and reports why it ended.
        builder.Services.AddHealthChecks().AddReadinessCheck<SidecarHealthCheck>(SidecarCheck, TimeSpan.FromSeconds(5));
        return builder;
    }
}
