using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

public sealed class HealthTests
{
    [Fact]
    public async Task Readyz_SidecarUpAndKeyLoaded_200()
    {
        await using var app = await IngressApp.StartAsync();
        var client = app.CreateClient();
        await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_r"), "k3y-one");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Readyz_NoKey_503ButAlive()
    {
        await using var app = await IngressApp.StartAsync(keys: null);
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Readyz_SidecarUnhealthy_503()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_r"), "k3y-one");
        sidecar.Healthy = false;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Readyz_NoKey_ReasonNamesTheSecretAndStore()
    {
        await using var app = await IngressApp.StartAsync(keys: null);
        var client = app.CreateClient();

        var (status, body) = await ReadyzAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", Check(body, "webhook-key"));
        Assert.Equal("Healthy", Check(body, "publishing"));
        var reason = body.GetProperty("reason").GetString()!;
        Assert.Contains("no webhook key loaded", reason, StringComparison.Ordinal);
        Assert.Contains("DBT_WEBHOOK_KEY", reason, StringComparison.Ordinal);
        Assert.Contains("secretstore", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_SidecarNeverThere_ReasonNamesTheAddressAndHowToStartIt_LoggedOnce()
    {
        await using var app = await IngressApp.StartUnwiredAsync();
        var client = app.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            var (status, body) = await ReadyzAsync(client);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", Check(body, "publishing"));
            Assert.Equal("Unhealthy", Check(body, "dapr-sidecar"));
            var reason = body.GetProperty("reason").GetString()!;
            Assert.Contains("the Dapr sidecar is not reachable at http://127.0.0.1:1/", reason, StringComparison.Ordinal);
            Assert.Contains("start it with `dapr run -f .`", reason, StringComparison.Ordinal);
        }

        // Once, not per probe (nor per failed key read in the background).
        var errors = app.Logs.Where(l => l.Level >= LogLevel.Error && l.Category.StartsWith("ModeRefresh", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors).Text;
        Assert.Contains("The Dapr sidecar is not reachable at http://127.0.0.1:1/", error, StringComparison.Ordinal);
        Assert.Contains("dapr run -f .", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_SidecarDown_SharedShapeWithStatusReasonAndChecks()
    {
        await using var app = await IngressApp.StartUnwiredAsync("http://127.0.0.1:1", "http://127.0.0.1:1");

        using var response = await app.CreateClient().GetAsync("/readyz", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        // The same body as Refresh's /readyz (services/ServiceDefaults ServiceHealth), with Ingress's own checks.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["status", "reason", "checks"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        Assert.Contains("the Dapr sidecar is not reachable at http://127.0.0.1:1/", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(["publishing", "dapr-sidecar", "webhook-key"], body.GetProperty("checks").EnumerateObject().Select(p => p.Name));
        Assert.All(body.GetProperty("checks").EnumerateObject(), c => Assert.Equal("Unhealthy", c.Value.GetString()));
    }

    [Fact]
    public async Task Readyz_SidecarLostAndBack_ErrorOnceEachTimeItIsLost()
    {
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;
        var client = app.CreateClient();
        await WaitReadyAsync(client);

        for (var outage = 1; outage <= 2; outage++)
        {
            await sidecar.StopServingAsync();
            for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyzAsync(client)).Status);
            await sidecar.ResumeServingAsync(TestContext.Current.CancellationToken);
            await WaitReadyAsync(client);

            Assert.Equal(outage, app.Logs.Count(l => l.Level == LogLevel.Error && l.Text.Contains("not reachable", StringComparison.Ordinal)));
            Assert.Equal(outage, app.Logs.Count(l => l.Text.Contains("answers again", StringComparison.Ordinal)));
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyzAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return (response.StatusCode, body);
    }

    private static string? Check(JsonElement body, string name) => body.GetProperty("checks").GetProperty(name).GetString();

    private static Task WaitReadyAsync(HttpClient client) =>
        Eventually.UntilAsync(async () => (await ReadyzAsync(client)).Status == HttpStatusCode.OK, "/readyz answers 200",
            TestContext.Current.CancellationToken);

    [Fact]
    public async Task Start_SidecarUnreachable_StartsAndIsAlive()
    {
        await using var app = await IngressApp.StartUnwiredAsync();
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);
    }
}
