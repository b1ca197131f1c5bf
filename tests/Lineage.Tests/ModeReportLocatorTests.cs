using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Mode;

namespace ModeRefresh.Lineage.Tests;

public sealed class ModeReportLocatorTests
{
    private static DbtExposure Exposure(string? url, ModeMeta? meta = null, ModeMeta? configMeta = null, bool enabled = true) =>
        new("exposure.p.e", "e", "dashboard", url, enabled, meta, configMeta, []);

    [Theory]
    [InlineData("https://app.mode.com/acme/reports/4f2a9c1b7e3d", "acme", "4f2a9c1b7e3d")]
    [InlineData("https://app.mode.com/acme/reports/4f2a9c1b7e3d/details/queries/7a1b2c3d4e5f", "acme", "4f2a9c1b7e3d")]
    [InlineData("https://app.mode.com/editor/acme/reports/9b8c7d6e5f4a", "acme", "9b8c7d6e5f4a")]
    [InlineData("https://app.mode.com/editor/acme/reports/9b8c7d6e5f4a/queries/abc", "acme", "9b8c7d6e5f4a")]
    [InlineData("https://modeanalytics.com/acme/reports/1c2d3e4f5a6b/notebook", "acme", "1c2d3e4f5a6b")]
    [InlineData("https://app.modeanalytics.com/acme-finance/reports/1c2d3e4f5a6b", "acme-finance", "1c2d3e4f5a6b")]
    [InlineData("https://APP.MODE.COM/acme/reports/4f2a9c1b7e3d?param_region=EU#top", "acme", "4f2a9c1b7e3d")]
    [InlineData("  https://app.mode.com/my_ws.2/reports/4f2a9c1b7e3d/  ", "my_ws.2", "4f2a9c1b7e3d")]
    public void ParseUrl_ModeReportUrl_GivesWorkspaceAndReport(string url, string workspace, string report)
    {
        Assert.Equal((workspace, report), ModeReportLocator.ParseUrl(url));
    }

    [Theory]
    [InlineData("https://tableau.acme.example/#/views/Attribution/Overview")]
    [InlineData("https://app.mode.com.evil.example/acme/reports/4f2a9c1b7e3d")]
    [InlineData("https://mode.com/acme/reports/4f2a9c1b7e3d")]
    [InlineData("https://app.mode.com/acme/spaces/4f2a9c1b7e3d")]
    [InlineData("https://app.mode.com/acme/reports")]
    [InlineData("https://app.mode.com/acme/reports/NOT-A-TOKEN")]
    [InlineData("https://app.mode.com/acme/reports/4F2A9C1B7E3D")]
    [InlineData("ftp://app.mode.com/acme/reports/4f2a9c1b7e3d")]
    [InlineData("app.mode.com/acme/reports/4f2a9c1b7e3d")]
    [InlineData("")]
    [InlineData(null)]
    public void ParseUrl_NotAModeReport_IsNull(string? url)
    {
        Assert.Null(ModeReportLocator.ParseUrl(url));
    }

    [Fact]
    public void Locate_ConfigMetaPreferredOverMetaOverUrl()
    {
        var match = ModeReportLocator.Locate(Exposure(
            "https://app.mode.com/url_ws/reports/aaaaaaaaaaaa",
            meta: new ModeMeta("meta_ws", "bbbbbbbbbbbb", """{"from":"meta"}""", null, null),
            configMeta: new ModeMeta("config_ws", "cccccccccccc", """{"from":"config"}""", "00:30:00", null)));

        Assert.Equal(new ModeReport("config_ws", "cccccccccccc", """{"from":"config"}""", "00:30:00"), match.Report);
    }

    [Fact]
    public void Locate_MetaWithParametersOnly_TakesTheReportFromTheUrl()
    {
        var match = ModeReportLocator.Locate(Exposure(
            "https://app.mode.com/url_ws/reports/aaaaaaaaaaaa",
            meta: new ModeMeta(null, null, """{"region":"EU"}""", null, null)));

        Assert.Equal(new ModeReport("url_ws", "aaaaaaaaaaaa", """{"region":"EU"}"""), match.Report);
    }

    [Theory]
    [InlineData(null, null, null, "no url and no meta.mode")]
    [InlineData("https://tableau.example/x", null, null, "its url is not a Mode report URL")]
    [InlineData(null, "ws", null, "meta.mode names no report and the url gives none")]
    [InlineData(null, "ws", "Weekly Revenue", "meta.mode.report is not a Mode report token (lowercase hex)")]
    [InlineData(null, "ws with spaces", "aaaaaaaaaaaa", "meta.mode.workspace is not a Mode workspace name")]
    [InlineData(null, "..", "aaaaaaaaaaaa", "meta.mode.workspace is not a Mode workspace name")]
    [InlineData(null, ".", "aaaaaaaaaaaa", "meta.mode.workspace is not a Mode workspace name")]
    public void Locate_NoUsableReport_SaysWhy(string? url, string? workspace, string? report, string why)
    {
        var meta = workspace is null && report is null ? null : new ModeMeta(workspace, report, null, null, null);

        var match = ModeReportLocator.Locate(Exposure(url, meta));

        Assert.Equal((null, why), (match.Report, match.WhyNot));
    }

    [Fact]
    public void Locate_MetaProblem_IsTheReason()
    {
        var match = ModeReportLocator.Locate(Exposure(
            "https://app.mode.com/ws/reports/aaaaaaaaaaaa", configMeta: new ModeMeta(null, null, null, null, "config.meta.mode.parameters is not an object")));

        Assert.Equal("config.meta.mode.parameters is not an object", match.WhyNot);
    }

    [Fact]
    public void Locate_Disabled_IsIgnored()
    {
        var match = ModeReportLocator.Locate(Exposure("https://app.mode.com/ws/reports/aaaaaaaaaaaa", enabled: false));

        Assert.Equal((null, "disabled (config.enabled: false)"), (match.Report, match.WhyNot));
    }
}
