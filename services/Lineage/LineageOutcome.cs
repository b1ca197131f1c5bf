using ModeRefresh.Lineage.Rule;

namespace ModeRefresh.Lineage;

/// <summary>
/// What <see cref="ExposureRouter.DecideAsync"/> came to for one dbt run. <see cref="Explanation"/> is the one line
/// to log and keep with the run. How a caller maps each case:
/// <list type="bullet">
/// <item><see cref="Decided"/>: run <see cref="ExposureDecision.Reports"/> (beside the configured routes).</item>
/// <item><see cref="NotEligible"/>: the run's status is not one exposures refresh for; configured routes as usual.</item>
/// <item><see cref="NoArtifacts"/>: the run has no artifacts (404): refresh the configured routes only, and say so.</item>
/// <item><see cref="Transient"/>: dbt Cloud 429/5xx/timeout: retry (redelivery).</item>
/// <item><see cref="Permanent"/>: 401/403 (the reason names the token's secret), other 4xx, an unreadable or too large
/// artifact: dead letter with the reason.</item>
/// </list>
/// </summary>
public abstract record LineageOutcome
{
    private LineageOutcome(string runId)
    {
        RunId = runId;
    }

    public string RunId { get; }

    /// <summary>One line an operator can read: why this run's exposures did or did not refresh.</summary>
    public abstract string Explanation { get; }

    /// <summary>The rule ran: <see cref="Decision"/> says what to refresh; <see cref="StepsRead"/> the steps whose run_results were found.</summary>
    public sealed record Decided(string RunId, ExposureDecision Decision, IReadOnlyList<int> StepsRead) : LineageOutcome(RunId)
    {
        public override string Explanation => $"dbt run {RunId}: {Decision.Explanation}";
    }

    public sealed record NotEligible(string RunId, string Reason) : LineageOutcome(RunId)
    {
        public override string Explanation => $"dbt run {RunId}: exposures not consulted: {Reason}.";
    }

    public sealed record NoArtifacts(string RunId, string Reason) : LineageOutcome(RunId)
    {
        public override string Explanation => $"dbt run {RunId}: no artifacts to decide from, so only configured routes apply ({Reason}).";
    }

    public sealed record Transient(string RunId, string Reason) : LineageOutcome(RunId)
    {
        public override string Explanation => $"dbt run {RunId}: exposures could not be read yet, will try again: {Reason}.";
    }

    public sealed record Permanent(string RunId, string Reason) : LineageOutcome(RunId)
    {
        public override string Explanation => $"dbt run {RunId}: exposures cannot be read: {Reason}.";
    }
}
