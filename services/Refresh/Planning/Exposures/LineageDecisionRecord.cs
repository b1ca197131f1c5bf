using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.Planning.Exposures;

/// <summary>
/// Why a dbt run's exposures did or did not refresh, as kept under <c>lineage-decision:{runId}</c> and served by
/// <c>GET /runs/{runId}/decision</c>. The latest delivery's decision wins.
/// </summary>
/// <param name="Outcome"><c>decided</c>, <c>not-eligible</c>, <c>no-artifacts</c>, <c>transient</c> or <c>permanent</c>.</param>
/// <param name="Explanation">The one line that was logged (bounded).</param>
/// <param name="ExposureReports">The Mode reports the exposures asked for (<c>workspace/report</c>), at most <see cref="LineageDecisionStore.MaxListedReports"/>.</param>
/// <param name="ExposureReportCount">How many there were in all.</param>
/// <param name="ConfiguredWins">Reports both a route and an exposure named with different parameters: the route's were used.</param>
public sealed record LineageDecisionRecord(
    string RunId,
    string EventId,
    string? JobId,
    string Outcome,
    string Explanation,
    IReadOnlyList<string> ExposureReports,
    int ExposureReportCount,
    IReadOnlyList<string> ConfiguredWins,
    IReadOnlyList<int> StepsRead,
    DateTimeOffset DecidedAt);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LineageDecisionRecord))]
internal sealed partial class LineageJsonContext : JsonSerializerContext;
