using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Runs;

/// <summary>
/// What happened to a report for a dbt run, and, combined (<see cref="OutcomeTally.Outcome"/>), to the dbt run's
/// event: the one vocabulary of the run records, the sweep's tally and its logs (ARCHITECTURE.md, "Outcomes").
/// Delivery answers daprd from it (<c>Delivery/TopicAnswer.cs</c>).
/// </summary>
public enum Outcome
{
    /// <summary>Mode started the report for this dbt run: now, on an earlier delivery, or as the coalesced run that serves it. Run record "done".</summary>
    Done,

    /// <summary>It cannot succeed as configured (Mode refused it): not tried again. Run record "failed"; the event is given up.</summary>
    Failed,

    /// <summary>Not this time, but it may succeed on redelivery (Mode or the state store failing for now, another delivery on it, the budget spent). No record kept.</summary>
    Retry,
}

/// <summary>How one report fared in one delivery, and why; <see cref="OutcomeTally"/> combines them.</summary>
public sealed record ReportOutcome(ReportTarget Target, Outcome Kind, string Detail);
