using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>
/// How long a Dapr resiliency retry policy keeps retrying, at the least, before it gives up — computed the
/// way daprd builds the back-off (dapr/kit retry.Config over cenkalti/backoff v4):
/// <list type="bullet">
/// <item>constant: every wait is exactly <c>duration</c> (default 5s), so the span is duration × maxRetries.</item>
/// <item>exponential: waits start at 500ms and grow ×1.5 up to <c>maxInterval</c> (default 60s), each randomized
/// by ±50% — the worst case takes the lower bound, 0.5 × interval. Dapr keeps the library's MaxElapsedTime of
/// 15 minutes, which the Resiliency CRD cannot change, so an exponential policy never retries longer than that.</item>
/// <item>maxRetries -1 (the default) retries forever.</item>
/// </list>
/// The time each attempt itself takes only adds to the span, so it is left out of the minimum.
/// </summary>
public static class RetryMath
{
    public static readonly TimeSpan ExponentialInitialInterval = TimeSpan.FromMilliseconds(500);
    public const double ExponentialMultiplier = 1.5;
    public const double RandomizationFactor = 0.5;
    public static readonly TimeSpan ExponentialMaxElapsedTime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan DefaultConstantDuration = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultMaxInterval = TimeSpan.FromSeconds(60);

    /// <summary>The least time the policy keeps retrying before giving up; <see cref="TimeSpan.MaxValue"/> when it never does.</summary>
    public static TimeSpan WorstCaseMinimumSpan(YMap retryPolicy)
    {
        var policy = retryPolicy["policy"]?.AsString() ?? "constant";
        var maxRetries = Yaml.AsInteger(retryPolicy["maxRetries"]) ?? -1;
        var duration = Duration(retryPolicy["duration"], DefaultConstantDuration);
        var maxInterval = Duration(retryPolicy["maxInterval"], DefaultMaxInterval);
        return WorstCaseMinimumSpan(policy, duration, maxInterval, maxRetries);
    }

    public static TimeSpan WorstCaseMinimumSpan(string policy, TimeSpan duration, TimeSpan maxInterval, long maxRetries)
    {
        if (policy == "constant")
        {
            return maxRetries < 0 ? TimeSpan.MaxValue : duration * maxRetries;
        }

        // exponential: the elapsed-time cap stops it after 15 minutes at most, whatever maxRetries says.
        var total = TimeSpan.Zero;
        var interval = ExponentialInitialInterval;
        for (long i = 0; (maxRetries < 0 || i < maxRetries) && total < ExponentialMaxElapsedTime; i++)
        {
            total += interval * (1 - RandomizationFactor);
            interval = interval.TotalMilliseconds >= maxInterval.TotalMilliseconds / ExponentialMultiplier
                ? maxInterval
                : interval * ExponentialMultiplier;
        }

        return total < ExponentialMaxElapsedTime ? total : ExponentialMaxElapsedTime;
    }

    private static TimeSpan Duration(YNode? node, TimeSpan fallback) =>
        node?.AsString() is { } text && GoDuration.TryParse(text, out var value) ? value : fallback;
}
