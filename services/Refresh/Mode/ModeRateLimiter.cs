using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.Mode;

/// <summary>
/// Keeps calls per Mode credential (partitioned by the Authorization header) within
/// <see cref="ModeOptions.RequestsPerSecond"/> in any one-second window. A singleton: the HTTP handler chain is
/// rebuilt every few minutes, and a limiter built with it would let the old and new chains each send a full quota.
/// </summary>
/// <remarks>
/// A token bucket of one token per 1/N s does not hold that bound: it credits the time a token sat unused, so a
/// queued call can follow the previous one almost at once (measured: five grants within 0.9 s for N = 4).
/// A sliding window does, if a permit is only reused after at least one second: with S segments a permit returns
/// after Window·(S−1)/S, so the window is stretched to (1 s + margin)·S/(S−1). The cost is a slightly lower
/// sustained rate (about 3.3/s for N = 4), which Mode's 40-per-10-s budget does not notice.
/// </remarks>
public sealed class ModeRateLimiter : IDisposable
{
    private const int Segments = 10;

    private readonly PartitionedRateLimiter<HttpRequestMessage> limiter;

    public ModeRateLimiter(IOptions<ModeOptions> options)
    {
        var value = options.Value;
        var reuseAfter = TimeSpan.FromSeconds(1) + value.RateLimitMargin;
        var window = reuseAfter * Segments / (Segments - 1);
        limiter = PartitionedRateLimiter.Create<HttpRequestMessage, string>(request =>
            RateLimitPartition.GetSlidingWindowLimiter(
                request.Headers.Authorization?.ToString() ?? string.Empty,
                _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = value.RequestsPerSecond,
                    Window = window,
                    SegmentsPerWindow = Segments,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    // Waiting is bounded by Mode:TotalTimeout, not by the queue; a large queue only avoids
                    // rejecting a burst that would have fitted in that time.
                    QueueLimit = 10_000,
                    AutoReplenishment = true,
                }));
    }

    public ValueTask<RateLimitLease> AcquireAsync(HttpRequestMessage request, CancellationToken ct) =>
        limiter.AcquireAsync(request, 1, ct);

    public void Dispose() => limiter.Dispose();
}
