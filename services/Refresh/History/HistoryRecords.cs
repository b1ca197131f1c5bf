using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.History;

/// <summary>
/// The words <c>GET /history</c> uses for what happened to a report (or, when none was run, to the dbt run). They are
/// the flow's own: the run record's <c>started</c>/<c>done</c>/<c>failed</c>, coalescing, dead letters.
/// </summary>
public static class HistoryOutcomes
{
    /// <summary>Mode accepted a run of the report (<c>modeRunToken</c>).</summary>
    public const string Started = "started";

    /// <summary>The run record says it already ran, on a delivery this history did not see.</summary>
    public const string Done = "done";

    /// <summary>Asked for within its MinInterval: served by the later run <c>servedBy</c>.</summary>
    public const string Coalesced = "coalesced";

    /// <summary>Failed permanently (Mode refused it, a bad setting): not tried again unless its dead letter is replayed.</summary>
    public const string Failed = "failed";

    /// <summary>Failed for now: the delivery answered RETRY, and daprd delivers the event again.</summary>
    public const string Retrying = "retrying";

    /// <summary>Given up: daprd's redeliveries ran out and the event went to the dead-letter topic.</summary>
    public const string DeadLettered = "dead_lettered";

    /// <summary>For a run: the dbt run did not succeed (and exposures do not refresh for it).</summary>
    public const string Skipped = "skipped";

    /// <summary>For a run: no configured route (and no exposure) names a report for it.</summary>
    public const string NotRouted = "not_routed";

    /// <summary>Which outcome a later one may replace: a run Mode accepted is never replaced by a redelivery's "already run".</summary>
    internal static int Rank(string outcome) => outcome switch
    {
        Started or Coalesced => 3,
        Failed => 2,
        Done or DeadLettered => 1,
        _ => 0,
    };
}

/// <summary>One dbt run as <c>GET /history</c> shows it; stored as JSON under <c>history:run:{hash of runId}</c>.</summary>
public sealed record HistoryRun
{
    public required string RunId { get; init; }
    public string? JobId { get; init; }

    /// <summary>When this service first recorded anything for the run.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The dbt event ids that delivered it (the first <see cref="HistoryStore.MaxEventIds"/>).</summary>
    public IReadOnlyList<string>? EventIds { get; init; }

    public string? EnvironmentId { get; init; }
    public string? EnvironmentName { get; init; }
    public string? ProjectId { get; init; }

    /// <summary>For a run without reports: <c>skipped</c>, <c>not_routed</c> or <c>dead_lettered</c>, with <see cref="Reason"/>.</summary>
    public string? Outcome { get; init; }

    public string? Reason { get; init; }

    /// <summary>When its event reached the dead-letter topic (last time), if it did.</summary>
    public DateTimeOffset? DeadLetteredAt { get; init; }

    public IReadOnlyList<HistoryReport> Reports { get; init; } = [];

    /// <summary>True when more reports were recorded for the run than <see cref="HistoryStore.MaxReports"/>: the first ones are listed.</summary>
    public bool? ReportsTruncated { get; init; }

    /// <summary>Its place in the index (the cursor); stored, never shown.</summary>
    public long? Seq { get; init; }
}

/// <summary>What happened to one report for one dbt run.</summary>
public sealed record HistoryReport
{
    public required string Workspace { get; init; }
    public required string Report { get; init; }

    /// <summary>One of <see cref="HistoryOutcomes"/>.</summary>
    public required string Outcome { get; init; }

    public string? Reason { get; init; }
    public string? ModeRunToken { get; init; }

    /// <summary>For <c>coalesced</c>: the run that serves it (its run record is <c>mode-run:{workspace}:{report}:{servedBy}</c>).</summary>
    public string? ServedBy { get; init; }

    /// <summary>The Mode run's final state once followed to its end: succeeded, completed, failed, cancelled or timed_out.</summary>
    public string? State { get; init; }

    /// <summary>When Mode accepted the run.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it finished (Mode's completed_at, else when this service saw it end or gave up).</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    public string? WebUrl { get; init; }
}

/// <summary>The answer of <c>GET /history</c>: newest first; <see cref="Next"/> is the <c>before</c> of the next page, null at the end.</summary>
public sealed record HistoryPage(
    IReadOnlyList<HistoryRun> Runs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Next);

/// <summary>
/// The bounded index, one state key: each kept run's place and key, oldest first. Small entries only (the runs are
/// under their own keys), so its size depends on History:MaxRuns alone.
/// </summary>
internal sealed record HistoryIndex
{
    public long Next { get; init; } = 1;
    public List<HistoryIndexEntry> Runs { get; init; } = [];
}

internal sealed record HistoryIndexEntry(
    [property: JsonPropertyName("s")] long Seq,
    [property: JsonPropertyName("k")] string Key);

/// <summary>
/// A coalesced run, shared by every dbt run it serves: stored under <c>history:served:{hash}</c> and joined into their
/// <c>coalesced</c> reports when read, so that one write at the run's start and one at its end reach them all.
/// </summary>
internal sealed record ServedRun
{
    public string? ModeRunToken { get; init; }
    public string? Failure { get; init; }
    public string? State { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? WebUrl { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HistoryRun))]
[JsonSerializable(typeof(HistoryPage))]
[JsonSerializable(typeof(HistoryIndex))]
[JsonSerializable(typeof(ServedRun))]
internal sealed partial class HistoryJsonContext : JsonSerializerContext;
