namespace ModeRefresh.Refresh.Mode;

/// <summary>A Mode report to run, with the JSON object text of its parameters (<c>{}</c> when none).</summary>
public sealed record ReportTarget(string Workspace, string Report, string ParametersJson)
{
    /// <summary>Asks within this long of the report's last run wait and are served by one run at its end; zero: run each time.</summary>
    public TimeSpan MinInterval { get; init; }

    public override string ToString() => $"{Workspace}/{Report}";
}
