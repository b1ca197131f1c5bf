using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ModeRefresh.TestSupport;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.Refresh.Tracking;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>
/// Refresh continues the trace a delivery carries (daprd's <c>traceparent</c> header), its Mode call is a child span
/// of the delivery's, and neither spans nor measurements carry the Mode credentials. Listeners are process-wide and
/// tests run in parallel: each test picks out its own trace by id.
/// </summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Deliver_WithTraceParent_ModeCallIsAChildSpanOfTheDelivery()
    {
        using var spans = new SpanRecorder();
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r-trace", "123"));
        using var measurements = new MeasurementRecorder(TrackingMetrics.MeterName, app.Host.Services.GetRequiredService<IMeterFactory>());
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        const string deliverySpanOfDaprd = "00f067aa0ba902b7";

        using var request = new HttpRequestMessage(HttpMethod.Post, RefreshApp.Route)
        {
            Content = new StringContent(DbtEvents.Envelope(DbtEvents.Completed(), "ce-trace"), Encoding.UTF8, "application/cloudevents+json"),
        };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-{deliverySpanOfDaprd}-01");
        using var response = await app.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("SUCCESS", await RefreshApp.AnswerOf(response));
        var call = Assert.Single(app.Mode.Calls);
        Assert.NotNull(call.TraceParent);
        var sent = call.TraceParent.Split('-');
        Assert.Equal(traceId, sent[1]);
        var ours = spans.Stopped.Where(a => a.TraceId.ToHexString() == traceId).ToDictionary(a => a.SpanId.ToHexString());
        // The fake Mode and the stand-in sidecar are ASP.NET Core apps in this process too: their request spans are in
        // the trace as well. Refresh's delivery span is the one whose parent is daprd's.
        var delivery = Assert.Single(ours.Values, a => a.ParentSpanId.ToHexString() == deliverySpanOfDaprd);
        Assert.Equal(("Microsoft.AspNetCore", RefreshApp.Route), (delivery.Source.Name, delivery.GetTagItem("url.path") as string));
        // The span that sent the Mode request descends from the delivery's span.
        var span = ours[sent[2]];
        Assert.Equal("System.Net.Http", span.Source.Name);
        while (span.ParentSpanId.ToHexString() != delivery.SpanId.ToHexString())
        {
            Assert.True(ours.TryGetValue(span.ParentSpanId.ToHexString(), out span), "the Mode call's span is not under the delivery's");
        }

        Assert.Contains(measurements.Seen, m => m == "moderefresh.refresh.mode.calls status=202");
        Assert.Contains(measurements.Seen, m => m == "moderefresh.refresh.mode.rate_limit_wait acquired=True");
        var values = ours.Values.SelectMany(a => a.TagObjects.Select(t => $"{t.Key}={t.Value}")).Concat(measurements.Seen).ToList();
        var authorization = RefreshApp.BasicHeader().ToString();
        Assert.DoesNotContain(values, v => v.Contains(RefreshApp.Token, StringComparison.Ordinal)
            || v.Contains(RefreshApp.Secret, StringComparison.Ordinal) || v.Contains(authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deliver_DeadLetter_Counted()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r-dead", "123"));
        using var measurements = new MeasurementRecorder(TrackingMetrics.MeterName, app.Host.Services.GetRequiredService<IMeterFactory>());

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(), "ce-dead-counted", RefreshApp.DeadLetterRoute));

        Assert.Contains(measurements.Seen, m => m == "moderefresh.refresh.dead_letters");
    }
}
