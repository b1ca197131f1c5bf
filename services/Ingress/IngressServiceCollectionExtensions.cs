using Microsoft.Extensions.DependencyInjection.Extensions;
using ModeRefresh.Ingress.Keys;
using ModeRefresh.Ingress.Publishing;
using ModeRefresh.Ingress.Webhooks;

namespace ModeRefresh.Ingress;

public static class IngressServiceCollectionExtensions
{
    public static WebApplicationBuilder AddIngress(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngressOptions>()
            .BindConfiguration(IngressOptions.SectionName)
            .ValidateOnStart();
        // The source-generated validator of the same data annotations (ValidateDataAnnotations needs reflection: IL2026),
        // its failures naming the configuration keys.
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<IngressOptions>, IngressOptionsKeyValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // The SDK finds the sidecar through DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT and sends DAPR_API_TOKEN.
        builder.Services.AddDaprClient();
        builder.Services.AddSingleton<WebhookKeyStore>();
        builder.Services.AddHostedService<WebhookKeyRefresher>();
        // Publishing calls the sidecar's gRPC API itself (bulk, per-entry metadata), at the same endpoint as the SDK.
        builder.Services.AddSingleton(sp => SidecarPublishApi.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton<EventPublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventPublisher>());
        builder.Services.AddSingleton<RejectionMonitor>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, IngressJsonContext.Default));
        return builder;
    }
}
