using System.Diagnostics;
using System.Net;
using Grpc.Core;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

public sealed class SidecarFaultTests
{
    private static readonly Dictionary<string, string?> ShortPublishTimeout = new() { ["Ingress:PublishTimeout"] = "00:00:01" };

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.NotFound)]
    public async Task Post_PublishFails_503AndDbtRetryAfterRecoverySucceeds(StatusCode failure)
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        var body = DbtPayloads.CompletedBody("wev_retry");
        sidecar.FailNext("BulkPublishEvent", failure);

        var first = await client.PostSignedAsync(body, "k3y-one");
        var retry = await client.PostSignedAsync(body, "k3y-one");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Single(sidecar.Published);
        Assert.Equal(2, sidecar.Calls.Count(c => c.Method == "BulkPublishEvent"));
    }

    [Fact]
    public async Task Post_PublishHangs_503WithinTheBound()
    {
        await using var app = await IngressApp.StartAsync(settings: ShortPublishTimeout);
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_warm"), "k3y-one")).StatusCode);
        sidecar.HangAlways("BulkPublishEvent");

        var clock = Stopwatch.StartNew();
        var response = await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_hang"), "k3y-one");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        // Bound: the configured publish timeout, far inside dbt's 10 s (not a speed assertion).
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
        Assert.Single(sidecar.Published);
    }

    [Fact]
    public async Task Post_SidecarUnreachable_503()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_1"), "k3y-one")).StatusCode);

        await sidecar.DisposeAsync();
        var response = await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_2"), "k3y-one");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Post_SidecarNeverThere_503NotUnverified()
    {
        await using var app = await IngressApp.StartUnwiredAsync();

        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_none"), "k3y-one");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Post_SecretReadHangs_503WithinTheBound()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        sidecar.HangAlways("GetSecret");

        var clock = Stopwatch.StartNew();
        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_sh"), "k3y-one");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
        Assert.Empty(sidecar.Published);
    }
}
