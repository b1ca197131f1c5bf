using System.Globalization;
using System.Threading.Channels;
using ModeRefresh.Contracts;

namespace ModeRefresh.Refresh.History;

internal enum NoteKind
{
    /// <summary>The run itself: skipped or not routed (no report).</summary>
    Run,

    /// <summary>One report's outcome in one delivery.</summary>
    Report,

    /// <summary>The run's event reached the dead-letter topic.</summary>
    DeadLettered,

    /// <summary>A followed Mode run ended.</summary>
    Finished,

    /// <summary>A coalesced run was started (or failed) at its interval's end.</summary>
    Served,
}

/// <summary>One change to the history, bounded when made; applied later by <see cref="HistoryWriter"/>.</summary>
internal sealed record HistoryNote
{
    public required NoteKind Kind { get; init; }
    public required DateTimeOffset At { get; init; }
    public string? RunId { get; init; }
    public string? JobId { get; init; }
    public string? EventId { get; init; }
    public string? EnvironmentId { get; init; }
    public string? EnvironmentName { get; init; }
    public string? ProjectId { get; init; }
    public string? Outcome { get; init; }
    public string? Reason { get; init; }
    public HistoryReport? Report { get; init; }
    public string? ServedBy { get; init; }

    /// <summary>The state key it changes: the run's, or the coalesced run's.</summary>
    public string Key => Kind == NoteKind.Served
        ? HistoryStore.ServedKey(Report!.Workspace, Report.Report, ServedBy!)
        : HistoryStore.RunKey(RunId!);
}

/// <summary>
/// Where the flow says what happened, one call per place. Never throws and never waits: each call puts a small,
/// bounded note on an in-memory queue (at most <see cref="Capacity"/>; when full, new notes are dropped and counted),
/// and <see cref="HistoryWriter"/> writes them to the state store in the background. So recording history can neither
/// fail nor slow a delivery; what it costs is that notes still queued when the process dies are lost.
/// </summary>
public sealed class HistoryRecorder
{
    internal const int Capacity = 10_000;
    internal const int MaxIdChars = 256;
    internal const int MaxReasonChars = 1000;
    internal const int MaxUrlChars = 2000;

    private readonly TimeProvider time;
    private readonly Channel<HistoryNote> _notes;
    private long _dropped;

    public HistoryRecorder(TimeProvider time)
    {
        this.time = time;
        // DropWrite answers TryWrite with true even when it drops: the callback is what counts them.
        _notes = Channel.CreateBounded<HistoryNote>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    internal ChannelReader<HistoryNote> Reader => _notes.Reader;

    /// <summary>Notes dropped because the queue was full since the last call.</summary>
    internal long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

    /// <summary>The dbt run did not succeed, and nothing refreshes for it.</summary>
    public void Skipped(DbtRunEvent evt) => RunNote(evt, HistoryOutcomes.Skipped,
        $"dbt run did not succeed (status {evt.Data.RunStatus ?? "(none)"}, code {(evt.Data.RunStatusCode?.ToString(CultureInfo.InvariantCulture) ?? "(none)")})");

    /// <summary>No report is configured for the run's job; <paramref name="exposures"/>: what the exposures came to, when asked.</summary>
    public void NotRouted(DbtRunEvent evt, string? exposures) => RunNote(evt, HistoryOutcomes.NotRouted,
        $"no report configured for job {evt.Data.JobId ?? "(none)"}" + (exposures is null ? "" : $"; exposures: {exposures}"));

    /// <summary>What one delivery did with one report.</summary>
    public void Report(DbtRunEvent evt, HistoryReport report)
    {
        if (evt.Data.RunId is not { Length: > 0 })
        {
            return;
        }

        Add(EventNote(evt, NoteKind.Report) with { Report = Bounded(report) });
    }

    /// <summary>The run's event was given up (the dead-letter route received it).</summary>
    public void DeadLettered(DbtRunEvent? evt, string reason)
    {
        if (evt?.Data.RunId is not { Length: > 0 })
        {
            return; // unreadable or without a run id: there is no run to file it under (GET /deadletters lists it)
        }

        Add(EventNote(evt, NoteKind.DeadLettered) with { Outcome = HistoryOutcomes.DeadLettered, Reason = BoundReason(reason) });
    }

    /// <summary>A followed Mode run ended (or was given up on after Tracking:Timeout).</summary>
    public void Finished(ModeReportRunFinished outcome)
    {
        var finishedAt = DateTimeOffset.TryParse(outcome.CompletedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var completed)
            ? completed
            : outcome.FinishedAt;
        Add(new HistoryNote
        {
            Kind = NoteKind.Finished,
            At = time.GetUtcNow(),
            RunId = Bound(outcome.RunId),
            JobId = Bound(outcome.JobId),
            Report = Bounded(new HistoryReport
            {
                Workspace = outcome.Workspace,
                Report = outcome.Report,
                Outcome = HistoryOutcomes.Started,
                ModeRunToken = outcome.ModeRunToken,
                State = outcome.State,
                StartedAt = outcome.AcceptedAt,
                FinishedAt = finishedAt,
                WebUrl = outcome.WebUrl,
            }),
        });
    }

    /// <summary>
    /// The coalesced run <paramref name="servedBy"/> of a report was started (Mode's token, when it gave one) or
    /// failed permanently (<paramref name="failure"/>): every dbt run it serves shows it.
    /// </summary>
    public void CoalescedRunFired(string workspace, string report, string servedBy, string? modeRunToken, string? failure)
    {
        var now = time.GetUtcNow();
        Add(new HistoryNote
        {
            Kind = NoteKind.Served,
            At = now,
            ServedBy = Bound(servedBy),
            Report = Bounded(new HistoryReport
            {
                Workspace = workspace,
                Report = report,
                Outcome = failure is null ? HistoryOutcomes.Started : HistoryOutcomes.Failed,
                ModeRunToken = modeRunToken,
                Reason = failure,
                StartedAt = failure is null ? now : null,
            }),
        });
    }

    private void RunNote(DbtRunEvent evt, string outcome, string reason)
    {
        if (evt.Data.RunId is not { Length: > 0 })
        {
            return;
        }

        Add(EventNote(evt, NoteKind.Run) with { Outcome = outcome, Reason = BoundReason(reason) });
    }

    private HistoryNote EventNote(DbtRunEvent evt, NoteKind kind) => new()
    {
        Kind = kind,
        At = time.GetUtcNow(),
        RunId = Bound(evt.Data.RunId),
        JobId = Bound(evt.Data.JobId),
        EventId = Bound(evt.EventId),
        EnvironmentId = Bound(evt.Data.EnvironmentId),
        EnvironmentName = Bound(evt.Data.EnvironmentName),
        ProjectId = Bound(evt.Data.ProjectId),
    };

    private void Add(HistoryNote note)
    {
        if (!_notes.Writer.TryWrite(note))
        {
            Interlocked.Increment(ref _dropped); // completed: the host is stopping
        }
    }

    internal void Complete() => _notes.Writer.TryComplete();

    private static HistoryReport Bounded(HistoryReport report) => report with
    {
        Workspace = Bound(report.Workspace)!,
        Report = Bound(report.Report)!,
        Reason = report.Reason is null ? null : BoundReason(report.Reason),
        ModeRunToken = Bound(report.ModeRunToken),
        ServedBy = Bound(report.ServedBy),
        State = Bound(report.State),
        WebUrl = report.WebUrl is { Length: > MaxUrlChars } ? null : report.WebUrl, // a cut link is no link
    };

    internal static string? Bound(string? id) => id is { Length: > MaxIdChars } ? id[..MaxIdChars] + "…" : id;

    internal static string BoundReason(string reason) => reason.Length <= MaxReasonChars
        ? reason
        : $"{reason[..MaxReasonChars]}… (cut: {reason.Length.ToString(CultureInfo.InvariantCulture)} characters in all)";
}
