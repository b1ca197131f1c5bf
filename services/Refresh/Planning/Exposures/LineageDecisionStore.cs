using Dapr;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.State;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Planning.Exposures;

/// <summary>
/// Keeps each run's <see cref="LineageDecisionRecord"/> in <c>Dapr:StateStore</c> beside its run records
/// (<c>lineage-decision:{runId}</c>, expiring after <c>Idempotency:RecordTtl</c> like them).
/// </summary>
public sealed partial class LineageDecisionStore(
    JsonRecordStore records,
    IOptions<IdempotencyOptions> idempotency,
    ILogger<LineageDecisionStore> logger)
{
    /// <summary>Reports listed in a stored decision; the rest are counted (a decision stays small whatever the project).</summary>
    public const int MaxListedReports = 200;

    public static string KeyFor(string runId) => $"lineage-decision:{runId}";

    /// <summary>
    /// Best effort: a decision that cannot be kept is logged (the log line has it too) but does not fail the delivery,
    /// whose reports matter more than their explanation.
    /// </summary>
    public async Task SaveAsync(LineageDecisionRecord record)
    {
        try
        {
            await records.SaveAsync(KeyFor(record.RunId), record, LineageJsonContext.Default.LineageDecisionRecord, idempotency.Value.RecordTtl,
                CancellationToken.None);
        }
        catch (DaprException ex)
        {
            LogNotSaved(logger, ex, record.RunId);
        }
    }

    /// <exception cref="DaprException">The state store is unavailable.</exception>
    public async Task<LineageDecisionRecord?> GetAsync(string runId, CancellationToken ct) =>
        // Unreadable: not ours (or from an incompatible version), as if none was kept.
        (await records.ReadAsync(KeyFor(runId), LineageJsonContext.Default.LineageDecisionRecord, _ => null, ct)).Record;

    [LoggerMessage(EventId = 561, Level = LogLevel.Warning,
        Message = "The exposure decision of dbt run {RunId} could not be kept in the state store; its decision endpoint will not have it")]
    private static partial void LogNotSaved(ILogger logger, Exception exception, string runId);
}
