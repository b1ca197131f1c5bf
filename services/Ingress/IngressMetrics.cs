using System.Diagnostics.Metrics;
using ModeRefresh.Ingress.Webhooks;

namespace ModeRefresh.Ingress;

/// <summary>
/// Ingress's instruments on its meter (<see cref="RejectionMonitor.MeterName"/>): every webhook by outcome, and each
/// sidecar publish call by size and duration. Tags are fixed words only: never a request value, never a secret.
/// </summary>
public sealed class IngressMetrics
{
    private readonly Counter<long> _webhooks;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _publishDuration;

    public IngressMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(RejectionMonitor.MeterName);
        _webhooks = meter.CreateCounter<long>("moderefresh.ingress.webhooks", "{request}",
            "Webhooks answered, by outcome: published, not_published (no topic for its type), publish_failed, rejected");
        _batchSize = meter.CreateHistogram<int>("moderefresh.ingress.publish.batch_size", "{event}",
            "Events per sidecar publish call",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _publishDuration = meter.CreateHistogram<double>("moderefresh.ingress.publish.duration", "s",
            "Duration of one sidecar publish call, by API and result",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    public void Webhook(string outcome) => _webhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Publish(string api, int events, TimeSpan elapsed, bool accepted)
    {
        var apiTag = new KeyValuePair<string, object?>("api", api);
        _batchSize.Record(events, apiTag);
        _publishDuration.Record(elapsed.TotalSeconds, apiTag, new KeyValuePair<string, object?>("result", accepted ? "ok" : "error"));
    }
}
