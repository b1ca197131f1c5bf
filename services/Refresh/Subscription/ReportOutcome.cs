using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.Routing;

namespace ModeRefresh.Refresh.Subscription;

public enum OutcomeKind
{
    /// <summary>Run accepted by Mode now or on an earlier delivery.</summary>
    Done,

    /// <summary>Cannot succeed as configured: counts toward DROP.</summary>
    Permanent,

    /// <summary>May succeed on redelivery: makes the event RETRY.</summary>
    Transient,
}

/// <summary>How one report fared in one delivery; <see cref="OutcomeTally"/> combines them.</summary>
public sealed record ReportOutcome(ReportTarget Target, OutcomeKind Kind, string Detail)
{
    /// <summary>Mode's run token, when this delivery started the run or found it already done.</summary>
    public string? ModeRunToken { get; init; }

    /// <summary>The coalesced run that serves this dbt run (<see cref="Idempotency.RunRecord.ServedBy"/>).</summary>
    public string? ServedBy { get; init; }

    /// <summary>How <c>GET /history</c> shows it.</summary>
    public HistoryReport ForHistory() => new()
    {
        Workspace = Target.Workspace,
        Report = Target.Report,
        Outcome = Kind switch
        {
            OutcomeKind.Done when ServedBy is not null => HistoryOutcomes.Coalesced,
            OutcomeKind.Done when ModeRunToken is not null => HistoryOutcomes.Started,
            OutcomeKind.Done => HistoryOutcomes.Done,
            OutcomeKind.Permanent => HistoryOutcomes.Failed,
            _ => HistoryOutcomes.Retrying,
        },
        Reason = Kind == OutcomeKind.Done && ServedBy is null ? null : Detail,
        ModeRunToken = ModeRunToken,
        ServedBy = ServedBy,
    };
}
