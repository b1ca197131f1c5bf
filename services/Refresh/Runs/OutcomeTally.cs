using ModeRefresh.Refresh.Hosting;

namespace ModeRefresh.Refresh.Runs;

/// <summary>
/// The outcome of one delivery's reports, kept small whatever their number: counts, one byte per report from the
/// starting position, and at most <see cref="MaxReasons"/> reasons (the lowest positions first). Thread-safe.
/// </summary>
internal sealed class OutcomeTally
{
    public const int MaxReasons = 10;

    private readonly Lock gate = new();
    private readonly SweepProgress start;
    private readonly Outcome?[] kinds;
    private readonly SortedList<int, string> reasons = [];
    private int done;
    private int failed;
    private int retry;
    private int notStarted;

    public OutcomeTally(int total, SweepProgress start)
    {
        Total = total;
        this.start = start;
        kinds = new Outcome?[total - start.Settled];
    }

    public int Total { get; }

    public int Done => start.Settled - start.Failed + done;

    public int Failed => start.Failed + failed;

    public int Retry => retry;

    public int NotStarted => notStarted;

    /// <summary>The event's outcome: Retry while any report may still run, else Failed if any cannot, else Done.</summary>
    public Outcome Outcome => retry > 0 || notStarted > 0 ? Outcome.Retry
        : Failed > 0 ? Outcome.Failed
        : Outcome.Done;

    public void Add(int index, ReportOutcome outcome)
    {
        lock (gate)
        {
            kinds[index - start.Settled] = outcome.Kind;
            switch (outcome.Kind)
            {
                case Outcome.Done:
                    done++;
                    return;
                case Outcome.Failed:
                    failed++;
                    break;
                default:
                    retry++;
                    break;
            }

            reasons.Add(index, $"{outcome.Target}: {LogText.Safe(outcome.Detail)}");
            if (reasons.Count > MaxReasons)
            {
                reasons.RemoveAt(reasons.Count - 1);
            }
        }
    }

    public void AddNotStarted(int count)
    {
        lock (gate)
        {
            notStarted += count;
        }
    }

    /// <summary>The settled run of reports from the start, extended by what this delivery settled right after it.</summary>
    public SweepProgress Progress()
    {
        lock (gate)
        {
            var settled = 0;
            while (settled < kinds.Length && kinds[settled] is Outcome.Done or Outcome.Failed)
            {
                settled++;
            }

            var end = start.Settled + settled;
            var settledFailed = kinds.Take(settled).Count(k => k == Outcome.Failed);
            var kept = start.Reasons.Concat(reasons.Where(r => r.Key < end && kinds[r.Key - start.Settled] == Outcome.Failed)
                .Select(r => r.Value)).Take(MaxReasons).ToList();
            return new SweepProgress(end, start.Failed + settledFailed, kept);
        }
    }

    /// <summary>
    /// One bounded line for logs and the dead-letter reason: each unfinished report with its reason when they are
    /// few, else the counts, the first <see cref="MaxReasons"/> reasons and how many more there are.
    /// </summary>
    public string Describe(TimeSpan budget)
    {
        lock (gate)
        {
            var listed = start.Reasons.Concat(reasons.Values).Take(MaxReasons).ToList();
            var unlisted = Failed + retry - listed.Count;
            if (notStarted == 0 && unlisted == 0)
            {
                return string.Join("; ", listed); // e.g. "acme/r1: Mode answered 401: ..."
            }

            var parts = new List<string>();
            if (retry > 0)
            {
                parts.Add($"{retry} failed for now");
            }

            if (notStarted > 0)
            {
                parts.Add($"{notStarted} not started within this delivery's budget (Subscription:DeliveryBudget {budget})");
            }

            if (Failed > 0)
            {
                parts.Add($"{Failed} failed permanently");
            }

            var text = $"{Total - Done} of {Total} report(s) not done: {string.Join(", ", parts)}";
            if (listed.Count > 0)
            {
                text += $". {string.Join("; ", listed)}";
            }

            return unlisted > 0 ? $"{text}; and {unlisted} more" : text;
        }
    }
}
