using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ModeRefresh.TestSupport;
using ModeRefresh.Ingress.Webhooks;

namespace ModeRefresh.Ingress.Tests.Integration;

/// <summary>
/// Ingress's traces and metrics, seen in-process. Listeners are process-wide and tests run in parallel, so each test
/// looks for its own request's span (by the id its event carries) rather than counting everything seen.
/// </summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Post_SignedWebhook_EventCarriesTheRequestSpanAsTraceParent()
    {
        using var spans = new SpanRecorder();
        await using var app = await IngressApp.StartAsync();
        var sidecar = app.Sidecar;

        var response = await app.CreateClient().PostSignedAsync(DbtPayloads.CompletedBody("wev_span", jobId: "123", runId: "801"), "k3y-one");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var traceParent = Assert.Single(sidecar.Published).Metadata["cloudevent.traceparent"];
        var request = Assert.Single(spans.Stopped, a => a.Id == traceParent);
        Assert.Equal("Microsoft.AspNetCore", request.Source.Name);
        Assert.Equal("/webhooks/dbt", request.GetTagItem("url.path"));
    }

    [Fact]
    public async Task Post_SignedAndForgedWebhooks_NoSpanOrMeasurementCarriesTheKeyOrTheSignature()
    {
        using var spans = new SpanRecorder();
        const string key = "k3y-one";
        var body = DbtPayloads.CompletedBody("wev_secret", jobId: "123", runId: "802");
        var signature = DbtPayloads.Sign(body, key);
        await using var app = await IngressApp.StartAsync(key);
        using var measurements = new MeasurementRecorder(RejectionMonitor.MeterName, app.Services.GetRequiredService<IMeterFactory>());
        var client = app.CreateClient();

        var accepted = await client.PostSignedAsync(body, key);
        var forged = await client.PostSignedAsync(body, "not-the-key");

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Unauthorized), (accepted.StatusCode, forged.StatusCode));
        var ours = spans.Stopped.Where(a => a.GetTagItem("url.path") is "/webhooks/dbt").ToList();
        Assert.NotEmpty(ours);
        var values = spans.Stopped.SelectMany(a => a.TagObjects.Select(t => $"{t.Key}={t.Value}"))
            .Concat(measurements.Tags).ToList();
        Assert.Contains(measurements.Tags, t => t == "outcome=published");
        Assert.Contains(measurements.Tags, t => t == "outcome=rejected");
        Assert.DoesNotContain(values, v => v.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(values, v => v.Contains(signature, StringComparison.Ordinal));
        Assert.DoesNotContain(values, v => v.Contains(DbtPayloads.Sign(body, "not-the-key"), StringComparison.Ordinal));
    }
}
