using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using Dapr;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.State;
using Polly;
using Polly.Registry;
using Polly.Retry;

namespace ModeRefresh.Refresh.History;

/// <summary>
/// The run history in <c>Dapr:StateStore</c>, laid out like the dead letters: a bounded index (one key of small
/// entries, oldest first, at most History:MaxRuns) and each run under its own key, both written read-modify-write
/// under their ETags, with the state store's TTL (History:Retention). Coalesced runs are kept apart (one key each) and
/// joined into the runs they serve when read. Records go through the <see cref="JsonRecordStore"/> like every other
/// state Refresh keeps (ETags, first writes, TTL, Dapr:CallTimeout); each read and write is retried through the shared
/// state-store pipeline, and a lost ETag race is read again and retried by a Polly pipeline, never a loop of our own.
/// </summary>
public sealed partial class HistoryStore
{
    /// <summary>Reports kept per run: the first ones recorded; later ones only set <see cref="HistoryRun.ReportsTruncated"/>.</summary>
    public const int MaxReports = 100;

    /// <summary>dbt event ids kept per run (redeliveries and replays add none: they carry the same id).</summary>
    public const int MaxEventIds = 10;

    internal const string IndexKey = "history:index";
    private const string RunKeyPrefix = "history:run:";
    private const string ServedKeyPrefix = "history:served:";

    // Runs dropped from the index have their record deleted in the same turn, a few at a time; the TTL takes the rest.
    private const int MaxDeletesPerAppend = 20;

    // A page joins at most this many coalesced runs; beyond that a report shows its servedBy only.
    private const int MaxServedPerPage = 200;

    private const int ReadParallelism = 16;

    private readonly JsonRecordStore _records;
    private readonly IOptions<HistoryOptions> _options;
    private readonly ILogger<HistoryStore> _logger;
    private readonly ResiliencePipeline _state;

    // Another replica may change a record between our read and write: read it again and retry, a few times, with a
    // short random pause.
    private readonly ResiliencePipeline<bool> _rounds;

    public HistoryStore(
        JsonRecordStore records,
        IOptions<HistoryOptions> options,
        TimeProvider time,
        ResiliencePipelineProvider<string> pipelines,
        ILogger<HistoryStore> logger)
    {
        _records = records;
        _options = options;
        _logger = logger;
        _state = pipelines.GetPipeline(StateStoreResilience.Transient);
        _rounds = new ResiliencePipelineBuilder<bool> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<bool>
            {
                ShouldHandle = new PredicateBuilder<bool>().HandleResult(false),
                MaxRetryAttempts = 5,
                Delay = TimeSpan.FromMilliseconds(20),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
    }

    private HistoryOptions Options => _options.Value;

    public static string RunKey(string runId) => RunKeyPrefix + Hash(runId);

    internal static string ServedKey(string workspace, string report, string servedBy) =>
        ServedKeyPrefix + Hash($"{workspace}\n{report}\n{servedBy}");

    /// <summary>The newest kept runs before <paramref name="before"/> (a cursor from an earlier page), at most <paramref name="limit"/>.</summary>
    /// <exception cref="DaprException">The state store could not be read.</exception>
    public async Task<HistoryPage> ListAsync(int limit, long? before, CancellationToken ct)
    {
        var (index, _) = await ReadAsync(IndexKey, HistoryJsonContext.Default.HistoryIndex, ct);
        var candidates = (index?.Runs ?? []).TakeLast(Options.MaxRuns)
            .Where(e => before is null || e.Seq < before)
            .Reverse()
            .ToList();

        // Runs whose record expired (History:Retention) are passed over; a bounded number of them per page.
        var runs = new List<HistoryRun>(limit);
        var examined = 0;
        while (runs.Count < limit && examined < candidates.Count && examined < limit * 4)
        {
            var chunk = candidates.Skip(examined).Take(limit - runs.Count).Select(e => RunKeyPrefix + e.Key).ToList();
            runs.AddRange((await ReadManyAsync(chunk, HistoryJsonContext.Default.HistoryRun, ct)).OfType<HistoryRun>());
            examined += chunk.Count;
        }

        var next = examined < candidates.Count ? candidates[examined - 1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return new HistoryPage(await JoinServedAsync(runs, ct), next);
    }

    /// <summary>One run, or null when none is kept under that id.</summary>
    /// <exception cref="DaprException">The state store could not be read.</exception>
    public async Task<HistoryRun?> GetAsync(string runId, CancellationToken ct)
    {
        var (run, _) = await ReadAsync(RunKey(runId), HistoryJsonContext.Default.HistoryRun, ct);
        return run is null ? null : (await JoinServedAsync([run], ct))[0];
    }

    /// <summary>Applies notes that all change the same key, in order.</summary>
    /// <exception cref="Exception">Anything from the state store; the caller logs it.</exception>
    internal async Task ApplyAsync(IReadOnlyList<HistoryNote> notes, CancellationToken ct)
    {
        if (notes[0].Kind == NoteKind.Served)
        {
            await UpdateServedAsync(notes[0].Key, [.. notes.Select(n => n.Report!)], ct);
            return;
        }

        var served = new List<(string Key, HistoryReport Finished)>();
        if (!await _rounds.ExecuteAsync(async t => await TryApplyOnceAsync(notes, served, t), ct))
        {
            throw new InvalidOperationException("the history record kept changing under this write (other replicas)");
        }

        foreach (var group in served.GroupBy(s => s.Key))
        {
            await UpdateServedAsync(group.Key, [.. group.Select(s => s.Finished)], ct);
        }
    }

    /// <summary>One round: false when another replica wrote first (read again).</summary>
    private async Task<bool> TryApplyOnceAsync(IReadOnlyList<HistoryNote> notes, List<(string Key, HistoryReport Finished)> served, CancellationToken ct)
    {
        served.Clear();
        var key = notes[0].Key;
        var (run, etag) = await ReadAsync(key, HistoryJsonContext.Default.HistoryRun, ct);
        if (run is null && notes.All(n => n.Kind == NoteKind.Finished))
        {
            return true; // a run no longer kept (dropped or expired): its end alone says too little to list it again
        }

        run ??= new HistoryRun { RunId = notes[0].RunId!, ReceivedAt = notes[0].At };
        foreach (var note in notes)
        {
            run = Merge(run, note, served);
        }

        if (run.Seq is null)
        {
            if (await TryIndexAsync(key[RunKeyPrefix.Length..], ct) is not { } seq)
            {
                return false;
            }

            run = run with { Seq = seq };
        }

        return await TrySaveAsync(key, run, HistoryJsonContext.Default.HistoryRun, etag, ct);
    }

    /// <summary>
    /// The run's place in the index, added as the newest when it is not there (the oldest past History:MaxRuns are
    /// dropped and their records deleted); null when another replica changed the index first.
    /// </summary>
    private async Task<long?> TryIndexAsync(string id, CancellationToken ct)
    {
        var (index, etag) = await ReadAsync(IndexKey, HistoryJsonContext.Default.HistoryIndex, ct);
        index ??= new HistoryIndex();
        if (index.Runs.Find(e => e.Key == id) is { } known)
        {
            return known.Seq; // indexed by an earlier round whose record write was lost
        }

        var seq = index.Next;
        var all = index.Runs.Append(new HistoryIndexEntry(seq, id)).ToList();
        var dropped = all.Take(Math.Max(0, all.Count - Options.MaxRuns)).ToList();
        var updated = new HistoryIndex { Next = seq + 1, Runs = all.Skip(dropped.Count).ToList() };
        if (!await TrySaveAsync(IndexKey, updated, HistoryJsonContext.Default.HistoryIndex, etag, ct))
        {
            return null;
        }

        foreach (var entry in dropped.Take(MaxDeletesPerAppend))
        {
            try
            {
                await _records.DeleteAsync(RunKeyPrefix + entry.Key, ct);
            }
            catch (DaprException ex)
            {
                LogNotDeleted(_logger, ex, entry.Key); // dropped from the index all the same; its TTL removes it
            }
        }

        return seq;
    }

    private static HistoryRun Merge(HistoryRun run, HistoryNote note, List<(string Key, HistoryReport Finished)> served)
    {
        run = run with
        {
            JobId = run.JobId ?? note.JobId,
            EnvironmentId = run.EnvironmentId ?? note.EnvironmentId,
            EnvironmentName = run.EnvironmentName ?? note.EnvironmentName,
            ProjectId = run.ProjectId ?? note.ProjectId,
            EventIds = note.EventId is not { } id || run.EventIds?.Contains(id) == true || run.EventIds?.Count >= MaxEventIds
                ? run.EventIds
                : [.. run.EventIds ?? [], id],
        };
        switch (note.Kind)
        {
            case NoteKind.Run:
                // Reports recorded by another delivery of the run say more than "not routed" does.
                return run.Reports.Count > 0 ? run : run with { Outcome = note.Outcome, Reason = note.Reason };
            case NoteKind.DeadLettered:
                var reports = run.Reports
                    .Select(r => r.Outcome == HistoryOutcomes.Retrying ? r with { Outcome = HistoryOutcomes.DeadLettered } : r)
                    .ToList();
                return reports.Count > 0
                    ? run with { DeadLetteredAt = note.At, Reports = reports }
                    : run with { DeadLetteredAt = note.At, Outcome = HistoryOutcomes.DeadLettered, Reason = note.Reason };
            case NoteKind.Report:
                return WithReport(run, note.Report!, note.At) with { Outcome = null, Reason = null };
            default:
                return WithFinished(run, note.Report!, served);
        }
    }

    /// <summary>A delivery's outcome for a report: replaces what is there unless that ranks higher (see <see cref="HistoryOutcomes.Rank"/>).</summary>
    private static HistoryRun WithReport(HistoryRun run, HistoryReport report, DateTimeOffset at)
    {
        var reports = run.Reports.ToList();
        var i = reports.FindIndex(r => r.Workspace == report.Workspace && r.Report == report.Report);
        var added = report.Outcome == HistoryOutcomes.Started ? report with { StartedAt = report.StartedAt ?? at } : report;
        if (i < 0)
        {
            if (reports.Count >= MaxReports)
            {
                return run with { ReportsTruncated = true };
            }

            reports.Add(added);
            return run with { Reports = reports };
        }

        var old = reports[i];
        if (HistoryOutcomes.Rank(report.Outcome) < HistoryOutcomes.Rank(old.Outcome)
            || (old.Outcome == HistoryOutcomes.Started && report.Outcome == HistoryOutcomes.Started && old.ModeRunToken == report.ModeRunToken))
        {
            return run; // e.g. a redelivery's "already run", or its copy arriving late: the first account stands
        }

        reports[i] = added;
        return run with { Reports = reports };
    }

    /// <summary>A followed run's end: on the report it started, or (coalesced) on the run that served it.</summary>
    private static HistoryRun WithFinished(HistoryRun run, HistoryReport finished, List<(string Key, HistoryReport Finished)> served)
    {
        var reports = run.Reports.ToList();
        var i = reports.FindIndex(r => r.Workspace == finished.Workspace && r.Report == finished.Report);
        if (i >= 0 && reports[i].ModeRunToken != finished.ModeRunToken && reports[i].ServedBy is { } servedBy)
        {
            served.Add((ServedKey(finished.Workspace, finished.Report, servedBy), finished));
            return run;
        }

        if (i < 0)
        {
            if (reports.Count >= MaxReports)
            {
                return run with { ReportsTruncated = true };
            }

            reports.Add(finished); // its start was not recorded (notes lost): it started all the same
            return run with { Reports = reports };
        }

        reports[i] = reports[i] with
        {
            Outcome = HistoryOutcomes.Started,
            ModeRunToken = finished.ModeRunToken,
            State = finished.State,
            StartedAt = finished.StartedAt,
            FinishedAt = finished.FinishedAt,
            WebUrl = finished.WebUrl,
        };
        return run with { Reports = reports };
    }

    private async Task UpdateServedAsync(string key, IReadOnlyList<HistoryReport> changes, CancellationToken ct)
    {
        var saved = await _rounds.ExecuteAsync(async t =>
        {
            var (current, etag) = await ReadAsync(key, HistoryJsonContext.Default.ServedRun, t);
            var served = current ?? new ServedRun();
            foreach (var change in changes)
            {
                if (change.State is null)
                {
                    served = served with
                    {
                        ModeRunToken = change.ModeRunToken ?? served.ModeRunToken,
                        Failure = change.Reason,
                        StartedAt = served.StartedAt ?? change.StartedAt,
                    };
                }
                else if (served.ModeRunToken is null || served.ModeRunToken == change.ModeRunToken)
                {
                    served = served with
                    {
                        ModeRunToken = change.ModeRunToken,
                        State = change.State,
                        StartedAt = change.StartedAt,
                        FinishedAt = change.FinishedAt,
                        WebUrl = change.WebUrl,
                    };
                }
            }

            return await TrySaveAsync(key, served, HistoryJsonContext.Default.ServedRun, etag, t);
        }, ct);
        if (!saved)
        {
            throw new InvalidOperationException("the coalesced run's history record kept changing under this write (other replicas)");
        }
    }

    /// <summary>Fills each coalesced report with the token, state and times of the run that served it.</summary>
    private async Task<List<HistoryRun>> JoinServedAsync(List<HistoryRun> runs, CancellationToken ct)
    {
        var keys = runs.SelectMany(r => r.Reports)
            .Where(r => r.ServedBy is not null)
            .Select(r => ServedKey(r.Workspace, r.Report, r.ServedBy!))
            .Distinct(StringComparer.Ordinal)
            .Take(MaxServedPerPage)
            .ToList();
        var found = new Dictionary<string, ServedRun>(StringComparer.Ordinal);
        if (keys.Count > 0)
        {
            var read = await ReadManyAsync(keys, HistoryJsonContext.Default.ServedRun, ct);
            for (var i = 0; i < keys.Count; i++)
            {
                if (read[i] is { } s)
                {
                    found[keys[i]] = s;
                }
            }
        }

        return [.. runs.Select(run => run with
        {
            Seq = null,
            Reports = [.. run.Reports.Select(r => r.ServedBy is { } by && found.TryGetValue(ServedKey(r.Workspace, r.Report, by), out var s)
                ? r with
                {
                    ModeRunToken = s.ModeRunToken ?? r.ModeRunToken,
                    State = s.State,
                    StartedAt = s.StartedAt,
                    FinishedAt = s.FinishedAt,
                    WebUrl = s.WebUrl,
                    Reason = s.Failure is null ? r.Reason : $"{r.Reason}; that run failed: {s.Failure}",
                }
                : r)],
        })];
    }

    private async Task<T?[]> ReadManyAsync<T>(IReadOnlyList<string> keys, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        var results = new T?[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ReadParallelism, CancellationToken = ct },
            async (i, t) => results[i] = (await ReadAsync(keys[i], type, t)).Record);
        return results;
    }

    private async Task<(T? Record, string ETag)> ReadAsync<T>(string key, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class =>
        await _state.ExecuteAsync(async t => await _records.ReadAsync(key, type, ex =>
        {
            // Start it afresh rather than refuse history for good; the ETag still guards the overwrite.
            LogUnreadable(_logger, ex, key);
            return null;
        }, t), ct);

    /// <summary>Saves if the key still has <paramref name="etag"/> (empty: if there is none yet); false when another writer came first.</summary>
    /// <remarks>
    /// Records get History:Retention as their TTL; the index none: it is bounded by History:MaxRuns, and expiring it
    /// while newer records live on would restart its numbering under them. A lost race comes back as false from the
    /// record store (a lost first write is told apart by reading what is there), so the pipeline retries outages only.
    /// </remarks>
    private async Task<bool> TrySaveAsync<T>(string key, T record, JsonTypeInfo<T> type, string etag, CancellationToken ct) =>
        await _state.ExecuteAsync(
            async t => await _records.TrySaveAsync(key, record, type, etag, key == IndexKey ? null : Options.Retention, t), ct);

    private static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];

    [LoggerMessage(EventId = 905, Level = LogLevel.Error, Message = "The stored history record {Key} is unreadable; starting it afresh")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string key);

    [LoggerMessage(EventId = 906, Level = LogLevel.Warning, Message = "Could not delete history record {Key}, dropped from the index; its TTL removes it")]
    private static partial void LogNotDeleted(ILogger logger, Exception exception, string key);
}
