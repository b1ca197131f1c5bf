namespace ModeRefresh.Refresh.Routing;

/// <summary>A Mode report to run, with the JSON object text of its parameters (<c>{}</c> when none).</summary>
public sealed record ReportTarget(string Workspace, string Report, string ParametersJson)
{
    public override string ToString() => $"{Workspace}/{Report}";
}
