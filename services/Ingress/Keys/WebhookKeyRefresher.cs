using Microsoft.Extensions.Options;

namespace ModeRefresh.Ingress.Keys;

/// <summary>
/// Loads the keys in the background at start (start-up never blocks on the sidecar) and re-reads them
/// every <see cref="IngressOptions.KeyRefreshInterval"/>; until the first load succeeds it retries sooner.
/// </summary>
public sealed class WebhookKeyRefresher(WebhookKeyStore store, IOptions<IngressOptions> options, TimeProvider time)
    : BackgroundService
{
    private static readonly TimeSpan ColdRetry = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var loaded = await store.ReloadAsync();
            var wait = loaded ? options.Value.KeyRefreshInterval : Min(ColdRetry, options.Value.KeyRefreshInterval);
            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
