namespace ModeRefresh.Refresh.State;

/// <summary>Per (workspace, report, dbt run) records in <c>Dapr:StateStore</c> (configuration section <c>Idempotency</c>).</summary>
public sealed class IdempotencyOptions
{
    public const string SectionName = "Idempotency";

    /// <summary>
    /// How long a "started" record keeps others away. Longer than one report run can take (Mode:TotalTimeout plus
    /// state calls), so only a record left by a crash is ever taken over.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Records expire after this (Dapr's <c>ttlInSeconds</c>); dbt does not redeliver a week-old event.</summary>
    public TimeSpan RecordTtl { get; set; } = TimeSpan.FromDays(7);
}
