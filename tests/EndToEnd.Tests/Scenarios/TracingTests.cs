using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModeRefresh.EndToEnd.Tests.Harness;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>
/// One W3C trace from the webhook to the Mode call, across both services and Dapr: Ingress puts the trace context of
/// the webhook's request span on its event, the sidecar on the CloudEvent and on the delivery's traceparent header,
/// Refresh's delivery span continues it, and its Mode call is a child span of that.
/// </summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Webhook_CallerSentTraceParent_ModeCallCarriesTheSameTraceId()
    {
        await using var system = await EndToEndSystem.StartAsync();
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var body = Webhooks.Completed("wev_trace_caller", "123", "9101");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/dbt") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", Webhooks.Sign(body));
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
        using var response = await system.Ingress.Client.SendAsync(request, TestContext.Current.CancellationToken);
        await system.WaitSettledAsync("wev_trace_caller");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotEmpty(system.Mode.Calls);
        Assert.All(system.Mode.Calls, call => Assert.Equal(traceId, TraceId(call.TraceParent)));
        // A child span in Refresh, not the caller's span passed through.
        Assert.All(system.Mode.Calls, call => Assert.NotEqual("00f067aa0ba902b7", SpanId(call.TraceParent)));
    }

    [Fact]
    public async Task Webhook_NoTraceParent_IngressTraceReachesTheCloudEventAndTheModeCall()
    {
        await using var system = await EndToEndSystem.StartAsync();

        using var response = await system.SendAsync(Webhooks.Completed("wev_trace_root", "123", "9102"));
        await system.WaitSettledAsync("wev_trace_root");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // Ingress's request span is the root of the trace: its traceparent is the entry's CloudEvent override.
        var published = Assert.Single(system.IngressSidecar.Published, m => m.Metadata["cloudevent.id"] == "wev_trace_root");
        var traceId = TraceId(published.Metadata["cloudevent.traceparent"]);
        var envelope = Assert.Single(system.Broker.MessagesOn(EndToEndSystem.Topic), m => m.Id == "wev_trace_root").Envelope;
        Assert.Equal(traceId, TraceId(envelope["traceparent"]!.GetValue<string>()));
        Assert.NotEmpty(system.Mode.Calls);
        Assert.All(system.Mode.Calls, call => Assert.Equal(traceId, TraceId(call.TraceParent)));
    }

    private static string? TraceId(string? traceParent) => traceParent?.Split('-') is [_, var id, _, _] ? id : null;

    private static string? SpanId(string? traceParent) => traceParent?.Split('-') is [_, _, var id, _] ? id : null;
}
