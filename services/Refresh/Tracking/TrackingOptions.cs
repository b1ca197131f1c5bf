using System.ComponentModel.DataAnnotations;

namespace ModeRefresh.Refresh.Tracking;

/// <summary>How accepted Mode runs are followed to their end (configuration section <c>Tracking</c>).</summary>
public sealed class TrackingOptions
{
    public const string SectionName = "Tracking";

    /// <summary>False: runs are not followed (no jobs scheduled, no outcomes published).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between two status polls of one run (each poll is one Mode call within the rate limit).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Tracking:PollInterval must be between {1} and {2}")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A run not finished this long after Mode accepted it is given up on and reported <c>timed_out</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Tracking:Timeout must be between {1} and {2}")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Where failed and timed-out refreshes are sent (configuration section <c>Alerts</c>).</summary>
public sealed class AlertOptions
{
    public const string SectionName = "Alerts";

    /// <summary>A Dapr output binding component (e.g. bindings.http to a Slack webhook); unset: no alerts.</summary>
    public string? Binding { get; set; }

    /// <summary>The binding operation; bindings.http posts the data on <c>create</c>.</summary>
    [Required(ErrorMessage = "Alerts:Operation is required")]
    public string Operation { get; set; } = "create";
}
