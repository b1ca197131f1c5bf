using ModeRefresh.Refresh.Delivery;
using ModeRefresh.Refresh.Mode;
using ModeRefresh.Refresh.Runs;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class ReportOutcomeTests
{
    private static ReportOutcome Of(string report, Outcome kind, string? detail = null) =>
        new(new ReportTarget("acme", report, "{}"), kind, detail ?? kind.ToString());

    [Theory]
    [InlineData("SUCCESS", Outcome.Done, Outcome.Done)]
    [InlineData("DROP", Outcome.Done, Outcome.Failed)]
    [InlineData("RETRY", Outcome.Failed, Outcome.Retry)]
    [InlineData("RETRY", Outcome.Done, Outcome.Retry)]
    public void Answer_Outcomes_RetryBeatsFailedBeatsDone(string expected, Outcome first, Outcome second)
    {
        var tally = new OutcomeTally(2, SweepProgress.None);
        tally.Add(0, Of("r1", first));
        tally.Add(1, Of("r2", second));

        Assert.Equal(expected, TopicAnswer.For(tally.Outcome).Status);
    }

    [Fact]
    public void Answer_ReportsNotStarted_Retry()
    {
        var tally = new OutcomeTally(3, SweepProgress.None);
        tally.Add(0, Of("r1", Outcome.Failed));
        tally.AddNotStarted(2);

        Assert.Equal("RETRY", TopicAnswer.For(tally.Outcome).Status);
        Assert.Equal("3 of 3 report(s) not done: 2 not started within this delivery's budget (Subscription:DeliveryBudget 00:00:30), " +
                     "1 failed permanently. acme/r1: Failed", tally.Describe(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Describe_Outcomes_ListsOnlyUnfinishedReports()
    {
        var tally = new OutcomeTally(2, SweepProgress.None);
        tally.Add(1, Of("r2", Outcome.Failed));
        tally.Add(0, Of("r1", Outcome.Done));

        Assert.Equal("acme/r2: Failed", tally.Describe(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Describe_ThousandsOfFailures_BoundedTextNamingTheFirstAndCountingTheRest()
    {
        var tally = new OutcomeTally(10_000, SweepProgress.None);
        for (var i = 9_999; i >= 0; i--)
        {
            tally.Add(i, Of($"r{i}", Outcome.Retry, "Mode answered 503: " + new string('x', 2_000)));
        }

        var text = tally.Describe(TimeSpan.FromSeconds(30));

        Assert.True(text.Length < 5_000, $"{text.Length} characters");
        Assert.StartsWith("10000 of 10000 report(s) not done: 10000 failed for now. acme/r0: Mode answered 503: xxx", text, StringComparison.Ordinal);
        Assert.Contains("acme/r9: ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("acme/r10:", text, StringComparison.Ordinal);
        Assert.EndsWith("; and 9990 more", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Progress_SettledRunFromStart_StopsAtFirstUnsettledAndKeepsItsFailures()
    {
        var tally = new OutcomeTally(6, new SweepProgress(2, 1, ["acme/r0: gone"]));
        tally.Add(2, Of("r2", Outcome.Done));
        tally.Add(3, Of("r3", Outcome.Failed, "Mode answered 404"));
        tally.Add(4, Of("r4", Outcome.Retry));
        tally.Add(5, Of("r5", Outcome.Failed, "after the gap"));

        var progress = tally.Progress();

        Assert.Equal(4, progress.Settled);
        Assert.Equal(2, progress.Failed);
        Assert.Equal(["acme/r0: gone", "acme/r3: Mode answered 404"], progress.Reasons);
        Assert.Equal(2, tally.Done); // r1 (stored) and r2
        Assert.Equal(3, tally.Failed);
    }

    [Fact]
    public void Describe_DetailWithLineBreak_CannotStartAnotherLine()
    {
        var tally = new OutcomeTally(1, SweepProgress.None);
        tally.Add(0, Of("r1", Outcome.Retry, "Mode answered 500: boom\nfail: forged line"));

        Assert.DoesNotContain('\n', tally.Describe(TimeSpan.FromSeconds(1)));
    }
}
