using Microsoft.Extensions.Options;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Sidecar;

/// <summary>
/// Probes the sidecar every <see cref="DaprOptions.ProbeInterval"/>, so a missing or refusing sidecar shows in the
/// log even where nothing calls /readyz (<c>dapr run</c>, compose): without a sidecar no delivery ever arrives,
/// and nothing else would say why.
/// </summary>
internal sealed class SidecarMonitor(
    SidecarProbe probe, SidecarReachability reachability, IOptions<DaprOptions> options, TimeProvider time)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProbeInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                reachability.Observe(await probe.ProbeAsync(stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
