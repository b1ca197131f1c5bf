using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModeRefresh.Refresh.Sidecar;

namespace ModeRefresh.Refresh.Health;

/// <summary>
/// Ready when the sidecar's health endpoint and its gRPC API both answer: without them no state, secret or publish
/// works. The description is the reason /readyz gives; the state change, not each probe, is what gets logged.
/// </summary>
internal sealed class SidecarHealthCheck(SidecarProbe probe, SidecarReachability reachability) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var result = await probe.ProbeAsync(ct);
        reachability.Observe(result);
        return result.State == SidecarState.Ready
            ? HealthCheckResult.Healthy($"Dapr sidecar at {result.Address} ready")
            : HealthCheckResult.Unhealthy(Describe(result));
    }

    private static string Describe(SidecarProbeResult result) => result.State switch
    {
        SidecarState.Unreachable => $"the Dapr sidecar is not reachable at {result.Address}; start it with `dapr run -f .` ({result.Reason})",
        SidecarState.NotReady => $"the Dapr sidecar at {result.Address} is not ready ({result.Reason})",
        SidecarState.TokenRefused => $"the Dapr sidecar at {result.Address} refuses this app: {result.Reason}; DAPR_API_TOKEN must match daprd's",
        _ => result.Reason,
    };
}
