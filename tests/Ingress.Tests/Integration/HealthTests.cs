using System.Net;

namespace ModeRefresh.Ingress.Tests.Integration;

public sealed class HealthTests
{
    [Fact]
    public async Task Readyz_SidecarUpAndKeyLoaded_200()
    {
        var (sidecar, app) = await IngressApp.StartAsync();
        await using var _ = sidecar;
        using var __ = app;
        var client = app.CreateClient();
        await client.PostSignedAsync(Samples.CompletedSuccess("wev_r"), "k3y-one");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Readyz_NoKey_503ButAlive()
    {
        var (sidecar, app) = await IngressApp.StartAsync(keys: null);
        await using var _ = sidecar;
        using var __ = app;
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Readyz_SidecarUnhealthy_503()
    {
        var (sidecar, app) = await IngressApp.StartAsync();
        await using var _ = sidecar;
        using var __ = app;
        var client = app.CreateClient();
        await client.PostSignedAsync(Samples.CompletedSuccess("wev_r"), "k3y-one");
        sidecar.Healthy = false;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Start_SidecarUnreachable_StartsAndIsAlive()
    {
        using var app = new IngressApp("http://127.0.0.1:1", "http://127.0.0.1:1");
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
    }
}
