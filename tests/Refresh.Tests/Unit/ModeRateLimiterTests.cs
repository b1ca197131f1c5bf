using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class ModeRateLimiterTests
{
    private static HttpRequestMessage Request(string credential) =>
        new(HttpMethod.Post, "http://mode.test/") { Headers = { Authorization = new AuthenticationHeaderValue("Basic", credential) } };

    [Fact]
    public async Task AcquireAsync_Burst_NoMoreGrantsThanLimitInAnySecond()
    {
        using var limiter = new ModeRateLimiter(Options.Create(new ModeOptions { RequestsPerSecond = 3, RateLimitMargin = TimeSpan.Zero }));
        var clock = Stopwatch.StartNew();

        var grants = await Task.WhenAll(Enumerable.Range(0, 7).Select(async _ =>
        {
            using var lease = await limiter.AcquireAsync(Request("a"), TestContext.Current.CancellationToken);
            Assert.True(lease.IsAcquired);
            return clock.Elapsed;
        }));

        var busiest = grants.Max(start => grants.Count(t => t >= start && t < start + TimeSpan.FromSeconds(1)));
        Assert.Equal(3, busiest);
    }

    [Fact]
    public async Task AcquireAsync_DifferentCredentials_SeparateBudgets()
    {
        using var limiter = new ModeRateLimiter(Options.Create(new ModeOptions { RequestsPerSecond = 1 }));
        var clock = Stopwatch.StartNew();

        using var a = await limiter.AcquireAsync(Request("a"), TestContext.Current.CancellationToken);
        using var b = await limiter.AcquireAsync(Request("b"), TestContext.Current.CancellationToken);

        Assert.True(a.IsAcquired && b.IsAcquired);
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500), $"second credential waited {clock.Elapsed}");
    }
}
