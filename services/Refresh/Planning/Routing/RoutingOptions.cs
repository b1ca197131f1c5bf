namespace ModeRefresh.Refresh.Planning.Routing;

/// <summary>
/// Which Mode reports run after which dbt jobs (configuration section <c>Refresh</c>).
/// Checked at startup by <see cref="RoutingOptionsValidator"/>.
/// </summary>
public sealed class RoutingOptions
{
    public const string SectionName = "Refresh";

    /// <summary>Mode workspace username; required unless every report names its own.</summary>
    public string? Workspace { get; set; }

    public List<ReportRoute> Reports { get; set; } = [];
}

/// <summary>One configured report and the dbt jobs (and optionally environments) that refresh it.</summary>
public sealed class ReportRoute
{
    /// <summary>The Mode report token (the id in the report's URL).</summary>
    public string? Report { get; set; }

    /// <summary>dbt job ids as strings; <c>"*"</c> matches every job.</summary>
    public List<string> Jobs { get; set; } = [];

    /// <summary>Optional dbt environment ids or names; when set, only runs in one of them match.</summary>
    public List<string>? Environments { get; set; }

    /// <summary>Overrides <see cref="RoutingOptions.Workspace"/> for this report.</summary>
    public string? Workspace { get; set; }

    /// <summary>
    /// Asked again within this long of its last run, the report is not run at once: one run at the interval's end
    /// serves every ask in it (<c>Refresh:Reports:N:MinInterval</c>; zero, the default: run each time).
    /// </summary>
    public TimeSpan MinInterval { get; set; }

    /// <summary>
    /// Report parameters, sent to Mode as given. Kept as a configuration section rather than a typed dictionary so
    /// lists and nested objects survive binding; configuration has no types, so every leaf value is a string.
    /// </summary>
    public IConfigurationSection? Parameters { get; set; }
}
