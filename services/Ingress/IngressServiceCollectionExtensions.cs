using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Ingress.Health;
using ModeRefresh.Ingress.Keys;
using ModeRefresh.Ingress.Publishing;
using ModeRefresh.Ingress.Sidecar;
using ModeRefresh.Ingress.Webhooks;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress;

public static class IngressServiceCollectionExtensions
{
    /// <summary>
    /// Ingress's own parts, on top of <see cref="ServiceDefaultsExtensions.AddServiceDefaults"/> (which brings the
    /// <c>Dapr</c> section, the checked sidecar endpoints, the clock, health and the error shape).
    /// </summary>
    public static WebApplicationBuilder AddIngress(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngressOptions>()
            .BindConfiguration(IngressOptions.SectionName)
            .ValidateOnStart();
        // The source-generated validator of the same data annotations (ValidateDataAnnotations needs reflection: IL2026),
        // its failures naming the configuration keys.
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<IngressOptions>, IngressOptionsKeyValidator>();
        builder.Services.AddSingleton<SidecarReachability>();
        // The SDK at the same, checked, endpoints (reading them validates them: a bad one fails naming the variable); it
        // sends DAPR_API_TOKEN. Its gRPC channel runs over an HttpClient of its own, so gRPC's reconnect backoff does
        // not apply to it: each secret read connects afresh if needed, and works again as soon as the sidecar answers.
        // (Not AddDaprClient: it resolves the endpoints itself before any configure callback, and throws a bare
        // UriFormatException for a bad one.)
        builder.Services.AddSingleton(sp =>
        {
            var sidecar = sp.GetRequiredService<IOptions<SidecarEndpoints>>().Value;
            var dapr = new DaprClientBuilder();
            dapr.UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint);
            if (!string.IsNullOrEmpty(sidecar.ApiToken)) dapr.UseDaprApiToken(sidecar.ApiToken);
            return dapr.Build();
        });
        builder.Services.AddSingleton<WebhookKeyStore>();
        builder.Services.AddHostedService<WebhookKeyRefresher>();
        // Publishing calls the sidecar's gRPC API itself (bulk, per-entry metadata), at the same endpoint as the SDK.
        builder.Services.AddSingleton(sp => SidecarPublishApi.From(sp.GetRequiredService<IOptions<SidecarEndpoints>>().Value));
        builder.Services.AddHealthChecks().AddIngressReadiness();
        builder.Services.AddSingleton<EventPublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventPublisher>());
        builder.Services.AddSingleton<RejectionMonitor>();
        builder.Services.AddSingleton<IngressMetrics>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, IngressJsonContext.Default));
        return builder;
    }
}
