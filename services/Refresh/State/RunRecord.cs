using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.State;

/// <summary>What is known about one (workspace, report, dbt run): stored as JSON under <see cref="RunLedger.KeyFor"/>.</summary>
public sealed record RunRecord
{
    // The stored words of the outcome vocabulary (Outcome.cs at the root): "done" and "failed" are the outcomes Done
    // and Failed kept for the dbt run; "started" is a claim in flight. Retry keeps no record (the claim is deleted).
    // They are read back from the store, so they stay these words.
    public const string Started = "started";
    public const string Done = "done";
    public const string Failed = "failed";

    public required string Status { get; init; }

    /// <summary>Who holds a "started" record: lets the claimer recognise its own write when reading it back.</summary>
    public required string ClaimId { get; init; }

    public string? EventId { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? ModeRunToken { get; init; }
    public string? Reason { get; init; }

    /// <summary>
    /// Done without a run of its own: the report was asked for within its <c>MinInterval</c> and is served by the
    /// coalesced run whose run record is <c>mode-run:{workspace}:{report}:{ServedBy}</c> (it holds Mode's token).
    /// </summary>
    public string? ServedBy { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunRecord))]
internal sealed partial class IdempotencyJsonContext : JsonSerializerContext;
