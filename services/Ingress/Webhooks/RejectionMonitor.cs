using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Ingress.Webhooks;

/// <summary>
/// Counts refused webhooks, whatever the refusal (no key, forged, malformed, too large). A flood of them must not flood
/// the log: each is logged at Debug only, and a Warning sums them up per window. The first refusal after a quiet spell
/// opens a window of <see cref="IngressOptions.RejectionLogInterval"/>; when it ends, a timer writes one Warning with
/// every refusal of the window and their reasons, whether or not another request ever comes.
/// </summary>
public sealed class RejectionMonitor : IDisposable
{
    public const string MeterName = "ModeRefresh.Ingress";
    // Reasons are fixed texts (no request value in them), a couple of dozen at most; the bound is a backstop.
    private const int MaxReasons = 32;
    private const string OtherReasons = "other";

    private readonly Meter meter;
    private readonly Counter<long> rejected;
    private readonly TimeProvider time;
    private readonly TimeSpan interval;
    private readonly ILogger<RejectionMonitor> logger;
    private readonly Lock gate = new();
    private readonly Dictionary<string, long> counts = new(StringComparer.Ordinal);
    private long total;
    private DateTimeOffset windowStart;
    private ITimer? windowEnd;
    private bool disposed;

    public RejectionMonitor(IMeterFactory meters, TimeProvider time, IOptions<IngressOptions> options, ILogger<RejectionMonitor> logger)
    {
        meter = meters.Create(MeterName);
        rejected = meter.CreateCounter<long>("moderefresh.ingress.webhooks.rejected", "{request}", "Webhooks refused before publishing");
        this.time = time;
        interval = options.Value.RejectionLogInterval;
        this.logger = logger;
    }

    public void Rejected(int status, string reason)
    {
        rejected.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("status", status));
        IngressLog.WebhookRejected(logger, status, reason);
        lock (gate)
        {
            if (disposed) return;
            total++;
            var key = counts.Count < MaxReasons || counts.ContainsKey(reason) ? reason : OtherReasons;
            CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _)++;
            if (windowEnd is null)
            {
                windowStart = time.GetUtcNow();
                windowEnd = time.CreateTimer(static state => ((RejectionMonitor)state!).EndWindow(closing: false), this, interval, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void EndWindow(bool closing)
    {
        long count;
        string reasons;
        TimeSpan span;
        lock (gate)
        {
            windowEnd?.Dispose();
            windowEnd = null;
            if (total == 0) return;
            // A window is one interval long, unless the service stops before it ends.
            (count, reasons, span) = (total, Describe(counts), closing ? TimeSpan.FromSeconds(Math.Ceiling((time.GetUtcNow() - windowStart).TotalSeconds)) : interval);
            total = 0;
            counts.Clear();
        }

        IngressLog.RejectionsSummary(logger, count, span, reasons);
    }

    // "498 × invalid signature, 2 × missing signature": most frequent first.
    private static string Describe(Dictionary<string, long> counts) => string.Join(", ",
        counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Value} × {c.Key}")));

    /// <summary>What the open window counted so far is written now: nothing refused goes unreported at shutdown.</summary>
    public void Dispose()
    {
        lock (gate) disposed = true;
        EndWindow(closing: true);
        meter.Dispose();
    }
}
