using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ModeRefresh.Ingress.Keys;
using ModeRefresh.Ingress.Publishing;
using ModeRefresh.Ingress.Sidecar;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress.Health;

/// <summary>
/// What Ingress's <c>/readyz</c> checks (the endpoint and its body are the shared ones, see <see cref="ServiceHealth"/>):
/// ready exactly when a webhook would not be refused for the sidecar's sake. That needs the sidecar to be up (its
/// <c>/v1.0/healthz</c>), the publish channel the webhooks use to be connected (not merely the sidecar's HTTP port
/// answering: after a sidecar restart the channel can lag behind it), and a webhook key. Every "no" comes with its
/// reason; a sidecar that cannot be reached is logged once by <see cref="SidecarReachability"/>, not per probe.
/// </summary>
public static class ReadinessChecks
{
    public const string Sidecar = "dapr-sidecar";
    public const string Publishing = "publishing";
    public const string WebhookKey = "webhook-key";

    internal static IHealthChecksBuilder AddIngressReadiness(this IHealthChecksBuilder checks) => checks
        .AddReadinessCheck<PublishingReadinessCheck>(Publishing)
        .AddReadinessCheck<SidecarReadinessCheck>(Sidecar)
        .AddReadinessCheck<WebhookKeyReadinessCheck>(WebhookKey);
}

/// <summary>The shared sidecar check (<see cref="SidecarHealthProbe"/>), its unreachability told to Ingress's tracker.</summary>
internal sealed class SidecarReadinessCheck(SidecarHealthProbe probe, SidecarReachability reachability, IOptions<SidecarEndpoints> endpoints)
    : IHealthCheck
{
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var address = endpoints.Value.HttpAddress;
        var answer = await probe.CheckAsync(HealthTimeout, ct);
        switch (answer.Health)
        {
            case SidecarHealth.Ready:
                reachability.Reached(address);
                return HealthCheckResult.Healthy($"the Dapr sidecar at {answer.Address} is ready");
            case SidecarHealth.NotReady:
                reachability.Reached(address);
                return HealthCheckResult.Unhealthy($"the Dapr sidecar at {answer.Address} is not ready ({answer.Reason})");
            case SidecarHealth.Unreachable:
                reachability.Unreachable(address, "DAPR_HTTP_ENDPOINT", answer.Unreachable!);
                return HealthCheckResult.Unhealthy(reachability.ProblemAt(address) ?? answer.Reason);
            default:
                return HealthCheckResult.Unhealthy($"the Dapr sidecar at {answer.Address} did not answer ({answer.Reason})");
        }
    }
}

/// <summary>The gRPC channel webhooks publish through is connected, or connects within a second.</summary>
internal sealed class PublishingReadinessCheck(SidecarPublishApi publish, SidecarReachability reachability) : IHealthCheck
{
    // The sidecar is local: a connection takes milliseconds, and probes (Kubernetes: 1 s by default) must not queue up.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var address = publish.Address;
        if (await publish.TryConnectAsync(ConnectTimeout, ct))
        {
            reachability.Reached(address);
            return HealthCheckResult.Healthy("the publish channel is connected");
        }

        var detail = await publish.ConnectionErrorAsync(ct);
        if (detail is not null || reachability.ProblemAt(address) is null)
        {
            reachability.Unreachable(address, "DAPR_GRPC_ENDPOINT", detail ?? $"no connection within {ConnectTimeout.TotalSeconds:0} s");
        }

        return HealthCheckResult.Unhealthy((reachability.ProblemAt(address) ?? $"the Dapr sidecar is not reachable at {address}") + " (publishing needs it)");
    }
}

/// <summary>A webhook key is loaded. As a webhook would: with no key cached, this waits for the read under way (or starts one), bounded.</summary>
internal sealed class WebhookKeyReadinessCheck(WebhookKeyStore keys) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var loaded = await keys.GetKeysAsync(ct);
        return loaded.Count > 0
            ? HealthCheckResult.Healthy($"{loaded.Count} webhook key(s) loaded")
            : HealthCheckResult.Unhealthy("no webhook key loaded: " + (keys.Problem ?? "not read yet"));
    }
}
