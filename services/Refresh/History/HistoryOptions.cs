using System.ComponentModel.DataAnnotations;

namespace ModeRefresh.Refresh.History;

/// <summary>The run history behind <c>GET /history</c>, kept in <c>Dapr:StateStore</c> (configuration section <c>History</c>).</summary>
public sealed class HistoryOptions
{
    public const string SectionName = "History";

    /// <summary>
    /// dbt runs kept; when a new one is recorded past this, the oldest is dropped. The ceiling keeps the index (about
    /// 60 bytes a run) far below daprd's default 4 MiB request size.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "History:MaxRuns must be between {1} and {2}")]
    public int MaxRuns { get; set; } = 1000;

    /// <summary>How long a run's record is kept after it last changed (the state store's TTL), even within MaxRuns.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00", ErrorMessage = "History:Retention must be between {1} and {2}")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);
}
