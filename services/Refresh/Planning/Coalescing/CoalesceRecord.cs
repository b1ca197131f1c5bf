using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.Planning.Coalescing;

/// <summary>
/// One report's coalescing state, stored as JSON under <c>coalesce:{workspace}:{report}</c>: when it last ran, and
/// the asks waiting for the run at the end of its interval. Fixed size whatever the number of asks.
/// </summary>
public sealed record CoalesceRecord
{
    public DateTimeOffset? LastRunAt { get; init; }

    /// <summary>The Mode run token of the last run, when Mode gave one.</summary>
    public string? LastModeRunToken { get; init; }

    public PendingAsk? Pending { get; init; }
}

/// <summary>
/// The latest of the asks that wait (its parameters win) and how many there are. <see cref="Id"/> names the one run
/// that serves them all: its run record is <c>mode-run:{workspace}:{report}:coalesced-{Id}</c>.
/// </summary>
public sealed record PendingAsk
{
    public required string Id { get; init; }
    public required string RunId { get; init; }
    public string? JobId { get; init; }
    public required string EventId { get; init; }
    public required string ParametersJson { get; init; }
    public TimeSpan MinInterval { get; init; }
    public DateTimeOffset FirstAskAt { get; init; }
    public required DateTimeOffset DueAt { get; init; }
    public int Asks { get; init; }
}

/// <summary>The job's data: which report to run (the rest is read from the record, which the asks keep current).</summary>
public sealed record CoalesceJob(string Workspace, string Report);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CoalesceRecord))]
[JsonSerializable(typeof(CoalesceJob))]
internal sealed partial class CoalesceJsonContext : JsonSerializerContext;
