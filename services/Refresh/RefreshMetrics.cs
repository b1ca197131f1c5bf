using System.Diagnostics.Metrics;
using System.Globalization;

namespace ModeRefresh.Refresh;

/// <summary>
/// Refresh's instruments on its meter (<see cref="MeterName"/>): Mode calls by answer, the wait for
/// the client-side Mode rate limiter, and dead letters. Tags are fixed words or status codes: never a secret.
/// </summary>
public sealed class RefreshMetrics
{
    /// <summary>Refresh's one meter, shared by every folder's instruments (so it lives here, below them all).</summary>
    public const string MeterName = "ModeRefresh.Refresh";

    private readonly Counter<long> _modeCalls;
    private readonly Histogram<double> _rateLimitWait;
    private readonly Counter<long> _deadLetters;

    public RefreshMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _modeCalls = meter.CreateCounter<long>("moderefresh.refresh.mode.calls", "{call}",
            "Mode API calls (after retries), by the HTTP status answered, or the failure when there was none");
        _rateLimitWait = meter.CreateHistogram<double>("moderefresh.refresh.mode.rate_limit_wait", "s",
            "Time an attempt waited for the client-side Mode rate limiter, by whether it got its turn",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _deadLetters = meter.CreateCounter<long>("moderefresh.refresh.dead_letters", "{event}",
            "Events received on the dead-letter topic");
    }

    public void ModeCall(int? status, string? failure) =>
        _modeCalls.Add(1, new KeyValuePair<string, object?>("status",
            status is { } code ? code.ToString(CultureInfo.InvariantCulture) : failure ?? "error"));

    public void RateLimitWait(TimeSpan waited, bool acquired) =>
        _rateLimitWait.Record(waited.TotalSeconds, new KeyValuePair<string, object?>("acquired", acquired));

    public void DeadLetter() => _deadLetters.Add(1);
}

/// <summary>Counts each Mode call once, outside the retries: what the caller finally got.</summary>
internal sealed class ModeCallMetricsHandler(RefreshMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            metrics.ModeCall((int)response.StatusCode, null);
            return response;
        }
        catch (Exception ex)
        {
            // The exception's type name only (timeout, rate limiter, connection): never its message.
            metrics.ModeCall(null, ex.GetType().Name);
            throw;
        }
    }
}
