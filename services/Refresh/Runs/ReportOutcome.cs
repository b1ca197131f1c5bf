using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Runs;

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
public sealed record ReportOutcome(ReportTarget Target, OutcomeKind Kind, string Detail);
