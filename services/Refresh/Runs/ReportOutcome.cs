using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Runs;

/// <summary>How one report fared in one delivery, and why; <see cref="OutcomeTally"/> combines them.</summary>
public sealed record ReportOutcome(ReportTarget Target, Outcome Kind, string Detail);
