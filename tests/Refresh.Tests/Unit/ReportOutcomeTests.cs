using ModeRefresh.Refresh.Routing;
using ModeRefresh.Refresh.Subscription;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class ReportOutcomeTests
{
    private static ReportOutcome Outcome(string report, OutcomeKind kind) => new(new ReportTarget("acme", report, "{}"), kind, kind.ToString());

    [Theory]
    [InlineData("SUCCESS", OutcomeKind.Done, OutcomeKind.Done)]
    [InlineData("DROP", OutcomeKind.Done, OutcomeKind.Permanent)]
    [InlineData("RETRY", OutcomeKind.Permanent, OutcomeKind.Transient)]
    [InlineData("RETRY", OutcomeKind.Done, OutcomeKind.Transient)]
    public void Combine_Outcomes_TransientBeatsPermanentBeatsDone(string expected, OutcomeKind first, OutcomeKind second)
    {
        Assert.Equal(expected, ReportOutcome.Combine([Outcome("r1", first), Outcome("r2", second)]).Status);
    }

    [Fact]
    public void Describe_Outcomes_ListsOnlyUnfinishedReports()
    {
        var text = ReportOutcome.Describe([Outcome("r1", OutcomeKind.Done), Outcome("r2", OutcomeKind.Permanent)]);

        Assert.Equal("acme/r2: Permanent", text);
    }
}
