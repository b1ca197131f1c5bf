using System.Text.RegularExpressions;
using ModeRefresh.Lineage.Artifacts;

namespace ModeRefresh.Lineage.Mode;

/// <summary>The Mode report behind an exposure, or why it has none.</summary>
public readonly record struct ModeReportMatch(ModeReport? Report, string? WhyNot);

/// <summary>
/// Finds the Mode report an exposure declares. <c>meta.mode.workspace</c> / <c>report</c> / <c>parameters</c>
/// win (from <c>config.meta</c> when it has a <c>mode</c> entry, else from <c>meta</c>: dbt 1.10+ writes both and
/// prefers <c>config.meta</c>); what they leave out comes from the <c>url</c>:
/// <c>https://app.mode.com/{workspace}/reports/{report}[/...]</c>, the <c>/editor/{workspace}/reports/...</c> form
/// and the legacy <c>modeanalytics.com</c> host. Any other URL is not a Mode report.
/// </summary>
public static partial class ModeReportLocator
{
    private static readonly HashSet<string> ModeHosts = new(
        ["app.mode.com", "modeanalytics.com", "www.modeanalytics.com", "app.modeanalytics.com"], StringComparer.OrdinalIgnoreCase);

    public static ModeReportMatch Locate(DbtExposure exposure)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        if (!exposure.Enabled)
        {
            return new(null, "disabled (config.enabled: false)");
        }

        if (exposure.Problem is not null)
        {
            return new(null, exposure.Problem);
        }

        var meta = exposure.ConfigMeta ?? exposure.Meta;
        if (meta?.Problem is not null)
        {
            return new(null, meta.Problem);
        }

        var fromUrl = ParseUrl(exposure.Url);
        var workspace = meta?.Workspace ?? fromUrl?.Workspace;
        var report = meta?.Report ?? fromUrl?.Report;
        if (workspace is null || report is null)
        {
            return new(null, (meta, exposure.Url) switch
            {
                (null, null) => "no url and no meta.mode",
                (null, _) => "its url is not a Mode report URL",
                _ => $"meta.mode names no {(workspace is null ? "workspace" : "report")} and the url gives none",
            });
        }

        if (!WorkspaceShape().IsMatch(workspace))
        {
            return new(null, "meta.mode.workspace is not a Mode workspace name");
        }

        if (!ReportShape().IsMatch(report))
        {
            return new(null, "meta.mode.report is not a Mode report token (lowercase hex)");
        }

        return new(new ModeReport(workspace, report, meta?.ParametersJson ?? "{}", meta?.MinInterval), null);
    }

    /// <summary>(workspace, report) from a Mode report URL, or null for any other URL.</summary>
    public static (string Workspace, string Report)? ParseUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)
            || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !ModeHosts.Contains(uri.Host))
        {
            return null;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var first = segments.Length > 0 && segments[0].Equals("editor", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
        if (segments.Length < first + 3 || !segments[first + 1].Equals("reports", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var workspace = Uri.UnescapeDataString(segments[first]);
        var report = Uri.UnescapeDataString(segments[first + 2]);
        return WorkspaceShape().IsMatch(workspace) && ReportShape().IsMatch(report) ? (workspace, report) : null;
    }

    // Mode usernames: letters, digits, '_', '-', '.'.
    // Starts with a letter or digit: "." or ".." would be a path step, and HttpClient would resolve
    // api/../reports/... to another path on Mode's host (an exposure's meta is the dbt project's to write).
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex WorkspaceShape();

    // Report tokens are lowercase hex, 12 characters in practice.
    [GeneratedRegex("^[0-9a-f]{6,64}$")]
    private static partial Regex ReportShape();
}
