using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Runs;

/// <summary>
/// Runs the reports one event matched, in configured order, a few at a time, until every one is settled or
/// <see cref="SubscriptionOptions.DeliveryBudget"/> is spent; what is left waits for the redelivery that RETRY asks
/// for. So an event matching thousands of reports makes steady progress across deliveries, each bounded in time
/// and memory, instead of starting them all at once and timing most of them out in the rate limiter's queue.
/// </summary>
public sealed partial class ReportSweep(
    ReportRunner runner,
    SweepProgressStore progress,
    HistoryRecorder history,
    IOptions<SubscriptionOptions> options,
    IOptions<ModeOptions> mode,
    TimeProvider time,
    ILogger<ReportSweep> logger)
{
    /// <summary>
    /// Above this many matched reports the position reached is stored (<see cref="SweepProgress"/>); below it,
    /// checking each report's run record again on a redelivery costs less than reading and writing the position.
    /// </summary>
    public const int ProgressThreshold = 20;

    /// <summary>
    /// Reports in flight at once: about one second of the rate limiter's budget, so a report rarely waits long
    /// for its turn, with a floor for slow answers and a ceiling for memory.
    /// </summary>
    internal int Parallelism => Math.Clamp(mode.Value.RequestsPerSecond, 2, 64);

    /// <param name="startedAt">When the delivery began (the budget counts from there, time spent asking dbt Cloud
    /// included); null: now.</param>
    internal async Task<OutcomeTally> RunAsync(DbtRunEvent evt, IReadOnlyList<ReportTarget> targets, CancellationToken ct, DateTimeOffset? startedAt = null)
    {
        var budget = options.Value.DeliveryBudget;
        var deadline = (startedAt ?? time.GetUtcNow()) + budget;
        var key = targets.Count > ProgressThreshold ? SweepProgressStore.KeyFor(evt.Data.RunId!, targets) : null;
        var start = key is null ? SweepProgress.None : await progress.ReadAsync(key, targets.Count, ct);
        var tally = new OutcomeTally(targets.Count, start);

        var parallelism = Parallelism;
        using var slots = new SemaphoreSlim(parallelism);
        var next = start.Settled;
        for (; next < targets.Count; next++)
        {
            if (ct.IsCancellationRequested || time.GetUtcNow() >= deadline)
            {
                break;
            }

            try
            {
                await slots.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (time.GetUtcNow() >= deadline)
            {
                slots.Release();
                break;
            }

            _ = RunOneAsync(evt, targets, next, tally, slots, ct);
        }

        tally.AddNotStarted(targets.Count - next);

        // Every started report gives its slot back when settled: holding all slots means none is in flight.
        for (var i = 0; i < parallelism; i++)
        {
            await slots.WaitAsync(CancellationToken.None);
        }

        if (key is not null)
        {
            var reached = tally.Progress();
            if (reached.Settled > start.Settled)
            {
                await progress.SaveAsync(key, reached);
            }
        }

        if (tally.NotStarted > 0)
        {
            LogBudgetSpent(logger, evt.EventId, evt.Data.RunId!, budget, tally.NotStarted, targets.Count);
        }

        return tally;
    }

    private async Task RunOneAsync(
        DbtRunEvent evt, IReadOnlyList<ReportTarget> targets, int index, OutcomeTally tally, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            var outcome = await runner.RunAsync(evt, targets[index], ct);
            history.Report(evt, outcome.ForHistory()); // queued, never waits (see HistoryRecorder)
            tally.Add(index, outcome);
        }
        catch (Exception ex)
        {
            // Nothing may escape a report run started in the background; the runner gave its claim back.
            LogUnexpected(logger, ex, targets[index].ToString(), evt.Data.RunId!);
            tally.Add(index, new ReportOutcome(targets[index], Outcome.Retry, $"unexpected {ex.GetType().Name}"));
        }
        finally
        {
            slots.Release();
        }
    }

    [LoggerMessage(EventId = 541, Level = LogLevel.Information,
        Message = "Event {EventId} (dbt run {RunId}): delivery budget {Budget} spent with {NotStarted} of {Total} report(s) not started; they run on redelivery")]
    private static partial void LogBudgetSpent(ILogger logger, string eventId, string runId, TimeSpan budget, int notStarted, int total);

    [LoggerMessage(EventId = 542, Level = LogLevel.Error, Message = "Unexpected failure running report {Report} for dbt run {RunId}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string report, string runId);
}
