namespace ModeRefresh.Lineage.Mode;

/// <summary>A Mode report to run, with the JSON object text of its parameters (<c>{}</c> when none).</summary>
/// <param name="Workspace">Mode workspace (the name in <c>app.mode.com/{workspace}</c>).</param>
/// <param name="Report">Report token.</param>
/// <param name="ParametersJson">JSON object text sent as <c>{"parameters": ...}</c>; values keep their JSON types.</param>
/// <param name="MinInterval"><c>meta.mode.min_interval</c> as written, or null (read by issue 14).</param>
public sealed record ModeReport(string Workspace, string Report, string ParametersJson, string? MinInterval = null)
{
    public override string ToString() => $"{Workspace}/{Report}";
}
