using System.Globalization;
using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Lineage;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Planning.Exposures;

/// <summary>What the exposures of one dbt run ask for: the lineage outcome and, when it decided, the reports to run.</summary>
internal sealed record ExposurePlan(LineageOutcome Outcome, IReadOnlyList<ReportTarget> Reports)
{
    /// <summary>The outcome's name as stored and logged.</summary>
    public string Kind => Outcome switch
    {
        LineageOutcome.Decided => "decided",
        LineageOutcome.NotEligible => "not-eligible",
        LineageOutcome.NoArtifacts => "no-artifacts",
        LineageOutcome.Transient => "transient",
        _ => "permanent",
    };
}

/// <summary>
/// Exposure-driven refresh inside a delivery (<c>Exposures:Enabled</c>): which runs consult dbt Cloud, the token
/// from the secret store, <see cref="ExposureRouter.DecideAsync"/> within its share of the delivery, the union with
/// the configured routes, and the decision logged once and kept with the run.
/// </summary>
public sealed partial class ExposurePlanner(
    ExposureRouter router,
    DbtCloudTokenSource tokens,
    LineageDecisionStore decisions,
    IOptions<ExposureOptions> options,
    IOptions<SubscriptionOptions> subscription,
    TimeProvider time,
    ILogger<ExposurePlanner> logger)
{
    /// <summary>Longest explanation logged; the stored one keeps up to the explainer's own bound.</summary>
    public const int MaxLoggedChars = 2000;

    private const int MaxStoredChars = 4000;

    public bool Enabled => options.Value.Enabled;

    /// <summary>
    /// The dbt Cloud calls get at most half of <see cref="SubscriptionOptions.DeliveryBudget"/>, counted from the
    /// delivery's start like the reports' own budget. So one delivery takes at most DeliveryBudget (lineage and
    /// report starts together) plus Mode:TotalTimeout (the last started report), 30 s + 20 s by default, inside
    /// daprd's 60 s delivery timeout (components/resiliency.yaml) whatever the DbtCloud timeouts say; and the
    /// configured routes always keep at least the other half to start in when dbt Cloud is slow.
    /// </summary>
    public TimeSpan LineageBudget => subscription.Value.DeliveryBudget / 2;

    /// <summary>Whether this run's exposures are consulted: enabled, and a success, or an error when opted in.</summary>
    internal bool Wants(DbtRunData run) => Enabled && IneligibleReason(run) is null;

    /// <summary>Keeps (and logs) that exposures were not consulted for a run they do not refresh for.</summary>
    internal async Task RecordNotEligibleAsync(DbtRunEvent evt)
    {
        var run = evt.Data;
        await KeepAsync(evt, new ExposurePlan(new LineageOutcome.NotEligible(run.RunId!, IneligibleReason(run) ?? "not a finished run"), []), []);
    }

    /// <summary>
    /// Reads the token and asks dbt Cloud, within <see cref="LineageBudget"/> from <paramref name="startedAt"/>.
    /// Never throws for dbt Cloud's or the secret store's failures: they come back as Transient or Permanent.
    /// </summary>
    internal async Task<ExposurePlan> PlanAsync(DbtRunEvent evt, DateTimeOffset startedAt, CancellationToken ct)
    {
        var run = evt.Data;
        var runId = run.RunId!;
        if (IneligibleReason(run) is { } reason)
        {
            return new ExposurePlan(new LineageOutcome.NotEligible(runId, reason), []);
        }

        var budget = LineageBudget;
        var left = startedAt + budget - time.GetUtcNow();
        using var deadline = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        LineageOutcome outcome;
        try
        {
            var (token, problem) = await tokens.ReadAsync(both.Token);
            outcome = token is null
                ? new LineageOutcome.Transient(runId, problem!)
                : await router.DecideAsync(evt.AccountId ?? "", runId, run.RunStatusCode, token, both.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            outcome = new LineageOutcome.Transient(runId, string.Create(CultureInfo.InvariantCulture,
                $"dbt Cloud did not finish answering within the delivery's lineage budget ({budget}, half of Subscription:DeliveryBudget)"));
        }

        var reports = outcome is LineageOutcome.Decided decided
            ? decided.Decision.Reports.Select(r => new ReportTarget(r.Workspace, r.Report, r.ParametersJson)
            {
                MinInterval = MinIntervalOf(r.MinInterval, options.Value.MinInterval),
            }).ToList()
            : [];
        return new ExposurePlan(outcome, reports);
    }

    /// <summary>
    /// <c>meta.mode.min_interval</c> as written: seconds as a number, a number with <c>s</c>, <c>m</c> or <c>h</c>, or
    /// a TimeSpan (<c>00:01:00</c>), at most a week; absent or unreadable: <c>Exposures:MinInterval</c>.
    /// </summary>
    internal static TimeSpan MinIntervalOf(string? written, TimeSpan fallback)
    {
        var text = written?.Trim();
        TimeSpan? value = null;
        if (!string.IsNullOrEmpty(text))
        {
            var unit = text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 };
            var digits = unit == 0 ? text : text[..^1];
            if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 7 * 24 * 3600)
            {
                value = TimeSpan.FromSeconds(n * Math.Max(unit, 1));
            }
            else if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
            {
                value = span;
            }
        }

        var interval = value ?? fallback;
        return interval > TimeSpan.FromDays(7) ? TimeSpan.FromDays(7) : interval;
    }

    /// <summary>
    /// Configured reports first (in configured order), then the exposures' reports not among them: each report once
    /// (same workspace and report, the idempotency key). Where both name a report with different parameters, the
    /// configured route's are used, and one warning per delivery lists them.
    /// </summary>
    internal IReadOnlyList<ReportTarget> Union(DbtRunEvent evt, IReadOnlyList<ReportTarget> configured, ExposurePlan plan, out IReadOnlyList<string> configuredWins)
    {
        if (plan.Reports.Count == 0)
        {
            configuredWins = [];
            return configured;
        }

        var byKey = new Dictionary<(string, string), ReportTarget>();
        foreach (var target in configured)
        {
            byKey.TryAdd((target.Workspace, target.Report), target);
        }

        var union = new List<ReportTarget>(configured);
        var wins = new List<string>();
        foreach (var report in plan.Reports)
        {
            if (byKey.TryGetValue((report.Workspace, report.Report), out var route))
            {
                if (!SameParameters(route.ParametersJson, report.ParametersJson))
                {
                    wins.Add(report.ToString());
                }

                continue;
            }

            byKey.Add((report.Workspace, report.Report), report);
            union.Add(report);
        }

        if (wins.Count > 0)
        {
            LogConfiguredWins(logger, evt.EventId, evt.Data.RunId!, wins.Count,
                LogText.Safe(string.Join(", ", wins.Take(DecisionListed)) + (wins.Count > DecisionListed ? $" and {wins.Count - DecisionListed} more" : "")));
        }

        configuredWins = wins;
        return union;
    }

    /// <summary>Logs the decision in one line and keeps it with the run.</summary>
    internal async Task KeepAsync(DbtRunEvent evt, ExposurePlan plan, IReadOnlyList<string> configuredWins)
    {
        var outcome = plan.Outcome;
        var level = outcome switch
        {
            LineageOutcome.Permanent => LogLevel.Error,
            LineageOutcome.Transient => LogLevel.Warning,
            _ => LogLevel.Information,
        };
        LogDecision(logger, level, evt.EventId, evt.Data.RunId!, plan.Kind, LogText.Safe(outcome.Explanation, MaxLoggedChars));

        var explanation = outcome.Explanation.Length <= MaxStoredChars ? outcome.Explanation : outcome.Explanation[..(MaxStoredChars - 1)] + "…";
        await decisions.SaveAsync(new LineageDecisionRecord(
            evt.Data.RunId!,
            evt.EventId,
            evt.Data.JobId,
            plan.Kind,
            explanation,
            [.. plan.Reports.Take(LineageDecisionStore.MaxListedReports).Select(r => r.ToString())],
            plan.Reports.Count,
            [.. configuredWins.Take(LineageDecisionStore.MaxListedReports)],
            outcome is LineageOutcome.Decided d ? d.StepsRead : [],
            time.GetUtcNow()));
    }

    private const int DecisionListed = 10;

    private string? IneligibleReason(DbtRunData run) => run switch
    {
        { RunStatusCode: DbtEventTypes.SuccessStatusCode } when run.RunStatus == DbtEventTypes.SuccessStatus => null,
        { RunStatusCode: ErroredStatusCode } when options.Value.IncludeErroredRuns => null,
        { RunStatusCode: ErroredStatusCode } => "the run errored (status 20) and Exposures:IncludeErroredRuns is false",
        _ => string.Create(CultureInfo.InvariantCulture, $"the run did not succeed (status {LogText.Safe(run.RunStatus)}, code {run.RunStatusCode?.ToString(CultureInfo.InvariantCulture) ?? "none"})"),
    };

    /// <summary>dbt Cloud's runStatusCode for an errored run (../shared/dbt-cloud/README.md).</summary>
    private const int ErroredStatusCode = 20;

    private static bool SameParameters(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(a), System.Text.Json.Nodes.JsonNode.Parse(b));

    [LoggerMessage(EventId = 560, Message = "Exposures of event {EventId} (dbt run {RunId}): {Outcome}: {Explanation}")]
    private static partial void LogDecision(ILogger logger, LogLevel level, string eventId, string runId, string outcome, string explanation);

    [LoggerMessage(EventId = 562, Level = LogLevel.Warning,
        Message = "Event {EventId} (dbt run {RunId}): {Count} report(s) named by both a configured route and an exposure with different parameters run with the route's: {Reports}")]
    private static partial void LogConfiguredWins(ILogger logger, string eventId, string runId, int count, string reports);
}
