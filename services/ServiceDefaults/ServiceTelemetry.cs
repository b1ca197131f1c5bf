using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// OpenTelemetry for both services: spans of incoming HTTP requests and of outgoing HTTP calls (HttpClient, and the
/// gRPC calls to the Dapr sidecar, which are HTTP/2 calls through HttpClient's handler), and the service's own meters.
/// The W3C <c>traceparent</c> of an incoming request becomes the parent of its span, and every outgoing call carries
/// the current one (HttpClient's own propagation), so a trace crosses Dapr when the sidecar passes it on.
/// Nothing leaves the process unless an OTLP endpoint is configured with the standard variables.
/// </summary>
public static class ServiceTelemetry
{
    /// <summary>The standard variables (OpenTelemetry's specification) that turn on OTLP export, per signal.</summary>
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointKey = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string MetricsEndpointKey = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
    public const string ServiceNameKey = "OTEL_SERVICE_NAME";

    /// <summary>
    /// Adds tracing and metrics. <paramref name="serviceName"/> is used unless <c>OTEL_SERVICE_NAME</c> is set;
    /// <paramref name="meters"/> are the service's own meter names.
    /// </summary>
    public static TBuilder AddServiceTelemetry<TBuilder>(this TBuilder builder, string serviceName, params string[] meters)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var config = builder.Configuration;
        var name = config[ServiceNameKey] is { Length: > 0 } configured ? configured : serviceName;
        var traces = IsSet(config, EndpointKey) || IsSet(config, TracesEndpointKey);
        var metrics = IsSet(config, EndpointKey) || IsSet(config, MetricsEndpointKey);

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(name))
            .WithTracing(tracing =>
            {
                tracing
                    // Never a header or a query string: the webhook's Authorization and the Mode token stay out.
                    .AddAspNetCoreInstrumentation(o => o.RecordException = false)
                    .AddHttpClientInstrumentation(o => o.RecordException = false);
                if (traces) tracing.AddOtlpExporter();
            })
            .WithMetrics(metering =>
            {
                metering
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddMeter(meters);
                if (metrics) metering.AddOtlpExporter();
            });
        return builder;
    }

    private static bool IsSet(IConfiguration config, string key) => !string.IsNullOrWhiteSpace(config[key]);
}
