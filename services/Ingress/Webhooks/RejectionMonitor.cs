using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Ingress.Webhooks;

/// <summary>
/// Counts refused webhooks. A flood of forged requests must not flood the log: each is logged at Debug,
/// and at most once per interval a Warning carries the count since the last one.
/// </summary>
public sealed class RejectionMonitor : IDisposable
{
    public const string MeterName = "ModeRefresh.Ingress";

    private readonly Meter meter;
    private readonly Counter<long> rejected;
    private readonly TimeProvider time;
    private readonly TimeSpan interval;
    private readonly ILogger<RejectionMonitor> logger;
    private long pending;
    private long lastWarningTicks;

    public RejectionMonitor(IMeterFactory meters, TimeProvider time, IOptions<IngressOptions> options, ILogger<RejectionMonitor> logger)
    {
        meter = meters.Create(MeterName);
        rejected = meter.CreateCounter<long>("moderefresh.ingress.webhooks.rejected", "{request}", "Webhooks refused before publishing");
        this.time = time;
        interval = options.Value.RejectionLogInterval;
        this.logger = logger;
        lastWarningTicks = time.GetUtcNow().UtcTicks - interval.Ticks;
    }

    public void Rejected(int status, string reason)
    {
        rejected.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("status", status));
        IngressLog.WebhookRejected(logger, status, reason);
        var count = Interlocked.Increment(ref pending);
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref lastWarningTicks);
        if (now - last < interval.Ticks || Interlocked.CompareExchange(ref lastWarningTicks, now, last) != last) return;
        count = Interlocked.Exchange(ref pending, 0);
        IngressLog.RejectionsSummary(logger, count, TimeSpan.FromTicks(now - last));
    }

    public void Dispose() => meter.Dispose();
}
