using System.Net;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class HealthTests
{
    [Fact]
    public async Task Readyz_SidecarUnhealthy_ServiceUnavailableWhileHealthzStaysOk()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);

        app.Sidecar.Healthy = false;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.Client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Start_SidecarNotRunning_StartsAndHealthzOk()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?>
            {
                ["DAPR_GRPC_ENDPOINT"] = "http://127.0.0.1:9",
                ["DAPR_HTTP_ENDPOINT"] = "http://127.0.0.1:9",
            }));

        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.Client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));
    }
}
