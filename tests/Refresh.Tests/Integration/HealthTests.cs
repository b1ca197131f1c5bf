using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class HealthTests
{
    private const string Unreachable = "The Dapr sidecar is not reachable at";

    private static Dictionary<string, string?> FastProbe(params IEnumerable<KeyValuePair<string, string?>>[] more) =>
        new(RefreshApp.Merge([RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["Dapr:ProbeInterval"] = "00:00:00.100" }, .. more]));

    [Fact]
    public async Task Readyz_SidecarUnhealthy_ServiceUnavailableWithReasonWhileHealthzStaysOk()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/readyz", TestContext.Current.CancellationToken)).StatusCode);

        app.Sidecar.Healthy = false;

        var (status, body) = await ReadyzAsync(app);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body["status"]!.GetValue<string>());
        Assert.Contains($"the Dapr sidecar at {app.Sidecar.HttpEndpoint} is not ready", body["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("answered 500", body["reason"]!.GetValue<string>(), StringComparison.Ordinal);
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

    [Fact]
    public async Task Readyz_SidecarNotRunning_ReasonNamesAddressAndOneErrorHoweverManyProbes()
    {
        await using var app = await RefreshApp.StartAsync(FastProbe(new Dictionary<string, string?>
        {
            ["DAPR_GRPC_ENDPOINT"] = "http://127.0.0.1:9",
            ["DAPR_HTTP_ENDPOINT"] = "http://127.0.0.1:9",
        }));
        var ct = TestContext.Current.CancellationToken;

        await Eventually.UntilAsync(() => app.Logs.Contains(LogLevel.Error, Unreachable), "the unreachable sidecar is logged", ct,
            detail: () => Dump(app));
        for (var i = 0; i < 10; i++)
        {
            var (status, body) = await ReadyzAsync(app);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("the Dapr sidecar is not reachable at http://127.0.0.1:9; start it with `dapr run -f .`",
                body["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var errors = app.Logs.Lines.Where(l => l.Level >= LogLevel.Error).ToList();
        var error = Assert.Single(errors);
        Assert.Contains($"{Unreachable} http://127.0.0.1:9; start it with `dapr run -f .`", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_SidecarDown_SharedShapeWithStatusReasonAndChecks()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?>
            {
                ["DAPR_GRPC_ENDPOINT"] = "http://127.0.0.1:9",
                ["DAPR_HTTP_ENDPOINT"] = "http://127.0.0.1:9",
            }));

        using var response = await app.Client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();

        // The same body as Ingress's /readyz (services/ServiceDefaults ServiceHealth).
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["status", "reason", "checks"], body.Select(p => p.Key));
        Assert.Equal("Unhealthy", body["status"]!.GetValue<string>());
        Assert.Contains("the Dapr sidecar is not reachable at http://127.0.0.1:9", body["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Unhealthy", body["checks"]!["dapr-sidecar"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sidecar_LostBackAndLostAgain_OneErrorPerLossAndOneLineForTheReturn()
    {
        await using var app = await RefreshApp.StartAsync(FastProbe());
        var ct = TestContext.Current.CancellationToken;
        await Eventually.UntilAsync(() => app.Logs.Contains(LogLevel.Information, "is ready"), "the sidecar is seen ready", ct);

        await app.Sidecar.StopServingAsync();
        await Eventually.UntilAsync(() => ErrorCount(app) == 1, "the loss is logged", ct, detail: () => Dump(app));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyzAsync(app)).Status);
        }

        await app.Sidecar.ResumeServingAsync(ct);
        await Eventually.UntilAsync(async () => (await ReadyzAsync(app)).Status == HttpStatusCode.OK, "ready again", ct);
        await Eventually.UntilAsync(() => app.Logs.Contains(LogLevel.Information, "is ready again"), "the return is logged", ct);
        Assert.Equal(1, ErrorCount(app));

        await app.Sidecar.StopServingAsync();
        await Eventually.UntilAsync(() => ErrorCount(app) == 2, "the second loss is logged", ct, detail: () => Dump(app));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyzAsync(app)).Status);
        Assert.Equal(2, ErrorCount(app));
    }

    internal static async Task<(HttpStatusCode Status, JsonNode Body)> ReadyzAsync(RefreshApp app)
    {
        using var response = await app.Client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    private static int ErrorCount(RefreshApp app) => app.Logs.Lines.Count(l => l.Level >= LogLevel.Error);

    private static string Dump(RefreshApp app) =>
        string.Join("\n", app.Logs.Lines.Select(l => $"{l.Level} {l.Category}: {l.Message}"));
}
