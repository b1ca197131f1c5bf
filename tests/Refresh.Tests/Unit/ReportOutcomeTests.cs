using ModeRefresh.Refresh.Mode;
using ModeRefresh.Refresh.Runs;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class ReportOutcomeTests
{
    private static ReportOutcome Outcome(string report, OutcomeKind kind, string? detail = null) =>
        new(new ReportTarget("acme", report, "{}"), kind, detail ?? kind.ToString());

    [Theory]
    [InlineData("SUCCESS", OutcomeKind.Done, OutcomeKind.Done)]
    [InlineData("DROP", OutcomeKind.Done, OutcomeKind.Permanent)]
    [InlineData("RETRY", OutcomeKind.Permanent, OutcomeKind.Transient)]
    [InlineData("RETRY", OutcomeKind.Done, OutcomeKind.Transient)]
    public void Answer_Outcomes_TransientBeatsPermanentBeatsDone(string expected, OutcomeKind first, OutcomeKind second)
    {
        var tally = new OutcomeTally(2, SweepProgress.None);
        tally.Add(0, Outcome("r1", first));
        tally.Add(1, Outcome("r2", second));

        Assert.Equal(expected, tally.Answer.Status);
    }

    [Fact]
    public void Answer_ReportsNotStarted_Retry()
    {
        var tally = new OutcomeTally(3, SweepProgress.None);
        tally.Add(0, Outcome("r1", OutcomeKind.Permanent));
        tally.AddNotStarted(2);

        Assert.Equal("RETRY", tally.Answer.Status);
        Assert.Equal("3 of 3 report(s) not done: 2 not started within this delivery's budget (Subscription:DeliveryBudget 00:00:30), " +
                     "1 failed permanently. acme/r1: Permanent", tally.Describe(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Describe_Outcomes_ListsOnlyUnfinishedReports()
    {
        var tally = new OutcomeTally(2, SweepProgress.None);
        tally.Add(1, Outcome("r2", OutcomeKind.Permanent));
        tally.Add(0, Outcome("r1", OutcomeKind.Done));

        Assert.Equal("acme/r2: Permanent", tally.Describe(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Describe_ThousandsOfFailures_BoundedTextNamingTheFirstAndCountingTheRest()
    {
        var tally = new OutcomeTally(10_000, SweepProgress.None);
        for (var i = 9_999; i >= 0; i--)
        {
            tally.Add(i, Outcome($"r{i}", OutcomeKind.Transient, "Mode answered 503: " + new string('x', 2_000)));
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
        tally.Add(2, Outcome("r2", OutcomeKind.Done));
        tally.Add(3, Outcome("r3", OutcomeKind.Permanent, "Mode answered 404"));
        tally.Add(4, Outcome("r4", OutcomeKind.Transient));
        tally.Add(5, Outcome("r5", OutcomeKind.Permanent, "after the gap"));

        var progress = tally.Progress();

        Assert.Equal(4, progress.Settled);
        Assert.Equal(2, progress.Failed);
        Assert.Equal(["acme/r0: gone", "acme/r3: Mode answered 404"], progress.Reasons);
        Assert.Equal(2, tally.Done); // r1 (stored) and r2
        Assert.Equal(3, tally.Permanent);
    }

    [Fact]
    public void Describe_DetailWithLineBreak_CannotStartAnotherLine()
    {
        var tally = new OutcomeTally(1, SweepProgress.None);
        tally.Add(0, Outcome("r1", OutcomeKind.Transient, "Mode answered 500: boom\nfail: forged line"));

        Assert.DoesNotContain('\n', tally.Describe(TimeSpan.FromSeconds(1)));
    }
}
