namespace ModeRefresh.Refresh;

/// <summary>
/// What happened to a report for a dbt run, and, combined over its reports (<c>Runs/OutcomeTally.cs</c>), to the dbt
/// run's event: the one vocabulary of the run records, the sweep's tally, its logs and whatever keeps outcomes
/// (ARCHITECTURE.md, "Outcomes"). Here at the root so that every folder can speak it; Delivery answers daprd from it
/// (<c>Delivery/TopicAnswer.cs</c>).
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
