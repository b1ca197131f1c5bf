using Dapr.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ModeRefresh.Refresh.Health;

/// <summary>Ready when the Dapr sidecar answers its health endpoint: without it no state, secret or publish works.</summary>
internal sealed class SidecarHealthCheck(DaprClient dapr) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        await dapr.CheckHealthAsync(ct)
            ? HealthCheckResult.Healthy("Dapr sidecar reachable")
            : HealthCheckResult.Unhealthy("Dapr sidecar not reachable");
}
