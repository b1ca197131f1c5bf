using System.Net;
using Dapr;
using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;

namespace ModeRefresh.TestSupport.Tests;

public sealed class HealthAndAuthTests
{
    [Fact]
    public async Task CheckHealthAsync_HealthyToggled_FollowsTheFlag()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);

        Assert.True(await dapr.CheckHealthAsync(Sdk.Ct));
        Assert.True(await dapr.CheckOutboundHealthAsync(Sdk.Ct));
        sidecar.Healthy = false;
        Assert.False(await dapr.CheckHealthAsync(Sdk.Ct));
        Assert.False(await dapr.CheckOutboundHealthAsync(Sdk.Ct));
        sidecar.Healthy = true;
        Assert.True(await dapr.CheckHealthAsync(Sdk.Ct));
    }

    [Fact]
    public async Task Healthz_Healthy_Answers204OnTheHttpPortOnly()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var http = new HttpClient();

        using var onHttpPort = await http.GetAsync(new Uri($"{sidecar.HttpEndpoint}/v1.0/healthz"), Sdk.Ct);
        // The gRPC port only speaks HTTP/2 with prior knowledge.
        using var onGrpcPort = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"{sidecar.GrpcEndpoint}/v1.0/healthz")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }, Sdk.Ct);
        sidecar.Healthy = false;
        using var unhealthy = await http.GetAsync(new Uri($"{sidecar.HttpEndpoint}/v1.0/healthz/outbound"), Sdk.Ct);

        Assert.Equal(HttpStatusCode.NoContent, onHttpPort.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, onGrpcPort.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, unhealthy.StatusCode);
    }

    [Fact]
    public async Task Healthz_AppNotListeningYet_500UntilItsSubscriptionsWereReadWhileOutboundIs204()
    {
        var port = SubscriberApp.FreePort();
        await using var pair = await Pair.StartAsync(new Uri($"http://127.0.0.1:{port}"), new StandInDeliveryOptions());
        using var http = new HttpClient();
        var healthz = new Uri($"{pair.Subscriber.HttpEndpoint}/v1.0/healthz");

        using var waiting = await http.GetAsync(healthz, Sdk.Ct);
        using var outbound = await http.GetAsync(new Uri($"{pair.Subscriber.HttpEndpoint}/v1.0/healthz/outbound"), Sdk.Ct);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await waiting.Content.ReadAsStringAsync(Sdk.Ct))!;
        await using var app = await SubscriberApp.StartAsync("[]", port);
        await pair.Subscriber.WaitForSubscribeResultAsync(TimeSpan.FromSeconds(10));
        using var ready = await http.GetAsync(healthz, Sdk.Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, waiting.StatusCode);
        Assert.Equal("ERR_HEALTH_NOT_READY", body["errorCode"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, outbound.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, ready.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync(new Uri($"{pair.Publisher.HttpEndpoint}/v1.0/healthz"), Sdk.Ct)).StatusCode);
    }

    [Fact]
    public async Task PublishEventAsync_ExpectedApiTokenMissingOrWrong_FailsUnauthenticatedAndIsRecorded()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        sidecar.ExpectedApiToken = "s3cret";
        using var anonymous = Sdk.ClientFor(sidecar);
        using var wrong = Sdk.ClientFor(sidecar, apiToken: "guess");
        using var right = Sdk.ClientFor(sidecar, apiToken: "s3cret");

        var missing = await Assert.ThrowsAsync<DaprException>(() => anonymous.PublishEventAsync("pubsub", "t", new { N = 1 }, Sdk.Ct));
        var mismatch = await Assert.ThrowsAsync<DaprException>(() => wrong.PublishEventAsync("pubsub", "t", new { N = 2 }, Sdk.Ct));
        await right.PublishEventAsync("pubsub", "t", new { N = 3 }, Sdk.Ct);

        Assert.Equal(StatusCode.Unauthenticated, Sdk.StatusOf(missing));
        Assert.Equal(StatusCode.Unauthenticated, Sdk.StatusOf(mismatch));
        Assert.Equal(
            [(null, StatusCode.Unauthenticated), ("guess", StatusCode.Unauthenticated), ("s3cret", StatusCode.OK)],
            sidecar.Calls.Select(c => (c.ApiToken, c.Outcome)));
        Assert.Single(sidecar.Published);
    }

    [Fact]
    public async Task Calls_SeveralMethods_RecordedInArrivalOrderWithRequests()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetSecret("secrets", "mode-token", "t");

        await dapr.SaveStateAsync("store", "k", "v", cancellationToken: Sdk.Ct);
        await dapr.GetSecretAsync("secrets", "mode-token", cancellationToken: Sdk.Ct);
        await dapr.PublishEventAsync("pubsub", "t", new { N = 1 }, Sdk.Ct);

        Assert.Equal(["SaveState", "GetSecret", "PublishEvent"], sidecar.Calls.Select(c => c.Method));
        Assert.Equal("k", Assert.IsType<SaveStateRequest>(sidecar.Calls[0].Request).States[0].Key);
        Assert.Equal("mode-token", Assert.IsType<GetSecretRequest>(sidecar.Calls[1].Request).Key);
        Assert.All(sidecar.Calls, c => Assert.Null(c.ApiToken));
    }
}
