using ModeRefresh.Refresh.Planning.Exposures;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class MinIntervalTests
{
    private static readonly TimeSpan Fallback = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData("60", 60)]
    [InlineData("90s", 90)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("00:01:30", 90)]
    [InlineData(" 0 ", 0)]
    [InlineData("30.00:00:00", 7 * 24 * 3600)] // a TimeSpan of 30 days: capped at the week a coalesced run may wait
    public void MinIntervalOf_WrittenValue_ReadAsSeconds(string written, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ExposurePlanner.MinIntervalOf(written, Fallback));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("-00:01:00")]
    public void MinIntervalOf_AbsentOrUnreadable_ExposuresMinInterval(string? written) =>
        Assert.Equal(Fallback, ExposurePlanner.MinIntervalOf(written, Fallback));
}
