namespace ModeRefresh.Refresh.History;

/// <summary>
/// Writes the <see cref="HistoryRecorder"/>'s notes to the <see cref="HistoryStore"/> in the background, a batch at a
/// time, one read-modify-write per run changed. A failure is logged once per outage, not per note: the first failed
/// write says that history is not being recorded, the first good one after it says how many notes were lost meanwhile.
/// </summary>
public sealed partial class HistoryWriter(HistoryRecorder recorder, HistoryStore store, ILogger<HistoryWriter> logger) : BackgroundService
{
    private const int MaxBatch = 256;

    // Notes still queued at shutdown get this long to be written.
    private static readonly TimeSpan FlushBudget = TimeSpan.FromSeconds(3);

    private bool _failing;
    private long _lost;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = recorder.Reader;
        var batch = new List<HistoryNote>(MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                Fill(batch);
                await WriteAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            using var flush = new CancellationTokenSource(FlushBudget);
            Fill(batch);
            while (batch.Count > 0 && !flush.IsCancellationRequested)
            {
                await WriteAsync(batch, flush.Token);
                Fill(batch);
            }
        }
    }

    private void Fill(List<HistoryNote> batch)
    {
        batch.Clear();
        while (batch.Count < MaxBatch && recorder.Reader.TryRead(out var note))
        {
            batch.Add(note);
        }
    }

    /// <summary>Never throws: history must not stop the host.</summary>
    private async Task WriteAsync(List<HistoryNote> batch, CancellationToken ct)
    {
        if (recorder.TakeDropped() is var dropped and > 0)
        {
            Fail(null, dropped, "the queue of notes was full: the state store is slower than the deliveries");
        }

        foreach (var group in batch.GroupBy(n => n.Key, StringComparer.Ordinal))
        {
            var notes = group.ToList();
            try
            {
                await store.ApplyAsync(notes, ct);
                if (_failing)
                {
                    _failing = false;
                    LogRecovered(logger, _lost);
                    _lost = 0;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                _lost += notes.Count; // stopping, and the flush budget is spent
            }
            catch (Exception ex)
            {
                Fail(ex, notes.Count, ex.Message);
            }
        }
    }

    private void Fail(Exception? exception, long lost, string reason)
    {
        _lost += lost;
        if (!_failing)
        {
            _failing = true;
            LogNotRecorded(logger, exception, reason);
        }
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning,
        Message = "Run history is not being recorded ({Reason}); deliveries go on as before. Logged once until it works again")]
    private static partial void LogNotRecorded(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(EventId = 901, Level = LogLevel.Information,
        Message = "Run history is recorded again; {Lost} note(s) were lost meanwhile")]
    private static partial void LogRecovered(ILogger logger, long lost);
}
