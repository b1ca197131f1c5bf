using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Runs;

/// <summary>How one report fared in one delivery, and why; <see cref="OutcomeTally"/> combines them.</summary>
public sealed record ReportOutcome(ReportTarget Target, Outcome Kind, string Detail)
{
    /// <summary>Mode's run token, when this delivery started the run or found it already done.</summary>
    public string? ModeRunToken { get; init; }

    /// <summary>The coalesced run that serves this dbt run (<see cref="State.RunRecord.ServedBy"/>).</summary>
    public string? ServedBy { get; init; }

    /// <summary>How <c>GET /history</c> shows it: the outcome, refined by what served it.</summary>
    public HistoryReport ForHistory() => new()
    {
        Workspace = Target.Workspace,
        Report = Target.Report,
        Outcome = Kind switch
        {
            Outcome.Done when ServedBy is not null => HistoryOutcomes.Coalesced,
            Outcome.Done when ModeRunToken is not null => HistoryOutcomes.Started,
            Outcome.Done => HistoryOutcomes.Done,
            Outcome.Failed => HistoryOutcomes.Failed,
            _ => HistoryOutcomes.Retrying,
        },
        Reason = Kind == Outcome.Done && ServedBy is null ? null : Detail,
        ModeRunToken = ModeRunToken,
        ServedBy = ServedBy,
    };
}
