using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class SidecarTokenTests
{
    [Fact]
    public async Task Deliver_SidecarRequiresApiToken_ConfiguredTokenSentOnEveryCall()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["DAPR_API_TOKEN"] = "sidecar-token" }));
        app.Sidecar.ExpectedApiToken = "sidecar-token";

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Single(app.Mode.Runs);
        Assert.NotEmpty(app.Sidecar.Calls);
        Assert.All(app.Sidecar.Calls, c => Assert.Equal("sidecar-token", c.ApiToken));
    }
}
