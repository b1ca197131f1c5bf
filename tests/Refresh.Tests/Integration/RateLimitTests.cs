using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>Timing-based: runs alone, so a busy machine does not add jitter from other tests.</summary>
[CollectionDefinition(nameof(RateLimitTests), DisableParallelization = true)]
public sealed class RateLimitCollection;

[Collection(nameof(RateLimitTests))]
public sealed class RateLimitTests
{
    [Theory]
    [InlineData(4, 13)]
    [InlineData(2, 7)]
    public async Task Deliver_BurstOfReports_NeverMoreCallsPerSecondThanTheLimit(int perSecond, int reports)
    {
        var settings = new Dictionary<string, string?> { ["Mode:RequestsPerSecond"] = perSecond.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        for (var i = 0; i < reports; i++)
        {
            foreach (var (key, value) in RefreshApp.Report(i, $"r{i}", "123"))
            {
                settings[key] = value;
            }
        }

        await using var app = await RefreshApp.StartAsync(settings);

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        var times = app.Mode.Calls.Select(c => c.At).Order().ToList();
        Assert.Equal(reports, app.Mode.Runs.Count);
        var busiest = times.Max(start => times.Count(t => t >= start && t < start + TimeSpan.FromSeconds(1)));
        Assert.True(busiest <= perSecond, $"{busiest} calls within one second; limit {perSecond}");
        Assert.Equal(perSecond, busiest); // the limiter does not throttle below the limit either
    }

    [Fact]
    public async Task Deliver_ConcurrentEventsSameCredential_ShareOneBudget()
    {
        var settings = new Dictionary<string, string?> { ["Mode:RequestsPerSecond"] = "2" };
        for (var i = 0; i < 3; i++)
        {
            foreach (var (key, value) in RefreshApp.Report(i, $"r{i}", "*"))
            {
                settings[key] = value;
            }
        }

        await using var app = await RefreshApp.StartAsync(settings);

        var answers = await Task.WhenAll(
            app.DeliverAsync(DbtEvents.Completed(eventId: "wev_a", runId: "1")),
            app.DeliverAsync(DbtEvents.Completed(eventId: "wev_b", runId: "2")));

        Assert.All(answers, a => Assert.Equal("SUCCESS", a));
        var times = app.Mode.Calls.Select(c => c.At).Order().ToList();
        Assert.Equal(6, times.Count);
        Assert.True(times.Max(s => times.Count(t => t >= s && t < s + TimeSpan.FromSeconds(1))) <= 2);
    }
}
