using Dapr;

namespace ModeRefresh.Refresh.Sidecar;

public static class SidecarExtensions
{
    /// <summary>
    /// Registers the <see cref="Dapr.Client.DaprClient"/> (endpoint and API token come from DAPR_GRPC_ENDPOINT,
    /// DAPR_HTTP_ENDPOINT and DAPR_API_TOKEN, configuration first, then environment) with a channel that reconnects
    /// promptly (<see cref="SidecarChannel"/>), the sidecar probe and monitor, and the system clock.
    /// Nothing here waits for the sidecar: startup must not depend on it being up.
    /// </summary>
    public static WebApplicationBuilder AddSidecar(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DaprOptions>()
            .BindConfiguration(DaprOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddDaprClient((_, client) => client.UseGrpcChannelOptions(SidecarChannel.Options()));
        builder.Services.AddSingleton(services => SidecarEndpoints.From(services.GetRequiredService<IConfiguration>()));
        builder.Services.AddHttpClient(SidecarProbe.HttpClientName, (services, http) =>
        {
            // daprd's health endpoint needs no token; sent anyway, as the SDK's own health check does.
            var token = DaprDefaults.GetDefaultDaprApiToken(services.GetRequiredService<IConfiguration>());
            if (!string.IsNullOrEmpty(token))
            {
                http.DefaultRequestHeaders.Add("dapr-api-token", token);
            }
        });
        builder.Services.AddSingleton<SidecarProbe>();
        builder.Services.AddSingleton<SidecarReachability>();
        builder.Services.AddHostedService<SidecarMonitor>();

        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
