using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModeRefresh.Ingress.Webhooks;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

public sealed class StartupTests
{
    [Theory]
    [InlineData("Ingress:MaxBodyBytes", "10", "Ingress:MaxBodyBytes must be between 1024 and 16777216.")]
    [InlineData("Dapr:PubsubName", "", "Dapr:PubsubName is required.")]
    [InlineData("Dapr:SecretStore", "", "Dapr:SecretStore is required.")]
    [InlineData("Dapr:CallTimeout", "00:10:00", "Dapr:CallTimeout must be between 00:00:00.1000000 and 00:05:00.")]
    [InlineData("Dapr:ProbeInterval", "00:00:00", "Dapr:ProbeInterval must be between 00:00:00.0500000 and 00:10:00.")]
    [InlineData("Ingress:PublishTimeout", "00:00:30", "Ingress:PublishTimeout must be between 00:00:00.0500000 and 00:00:07.")]
    [InlineData("Ingress:KeyRefreshInterval", "00:00:00", "Ingress:KeyRefreshInterval must be between 00:00:01 and 1.00:00:00.")]
    [InlineData("Ingress:PublishConcurrency", "0", "Ingress:PublishConcurrency must be between 1 and 64.")]
    [InlineData("Ingress:PublishBatchSize", "1001", "Ingress:PublishBatchSize must be between 1 and 1000.")]
    [InlineData("DAPR_GRPC_ENDPOINT", "unix:///tmp/dapr.sock", "DAPR_GRPC_ENDPOINT (or DAPR_GRPC_PORT) must be an http:// or https:// address")]
    [InlineData("DAPR_HTTP_ENDPOINT", "localhost", "DAPR_HTTP_ENDPOINT (or DAPR_HTTP_PORT) must be an http:// or https:// address")]
    public async Task Start_InvalidSetting_FailsNamingTheKeyNotTheProperty(string key, string value, string failure)
    {
        await using var app = await IngressApp.StartUnwiredAsync(settings: new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        // WebApplicationFactory sometimes reports an ObjectDisposedException that races the failed host's
        // disposal instead of the cause; the host's own failure log always has it.
        var said = error + string.Join("\n", app.Logs.Select(l => l.Text));
        Assert.Contains(nameof(OptionsValidationException), said, StringComparison.Ordinal);
        Assert.Contains(failure, said, StringComparison.Ordinal);
        Assert.DoesNotContain("IngressOptions.", said, StringComparison.Ordinal);
        Assert.DoesNotContain("DaprOptions.", said, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_Refused_CountedInMetricWithReason()
    {
        await using var app = await IngressApp.StartAsync();
        var client = app.CreateClient();
        // Other tests' apps run in parallel with the same meter name: listen to this app's meters only.
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        var measurements = new List<(long Value, string? Reason, int? Status)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RejectionMonitor.MeterName && instrument.Meter.Scope == meters
                && instrument.Name == "moderefresh.ingress.webhooks.rejected") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? reason = null;
            int? status = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "reason") reason = tag.Value as string;
                if (tag.Key == "status") status = tag.Value as int?;
            }
            lock (measurements) measurements.Add((value, reason, status));
        });
        listener.Start();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostWebhookAsync("{}"u8.ToArray(), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostWebhookAsync("{}"u8.ToArray(), new string('0', 64))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostSignedAsync(DbtPayloads.CompletedBody("wev_m"), "k3y-one")).StatusCode);

        lock (measurements)
        {
            Assert.Equal([(1L, "missing signature", 401), (1L, "invalid signature", 401)], measurements);
        }
    }
}
