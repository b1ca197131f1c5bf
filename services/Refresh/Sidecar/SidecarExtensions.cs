namespace ModeRefresh.Refresh.Sidecar;

public static class SidecarExtensions
{
    /// <summary>
    /// Registers the <see cref="Dapr.Client.DaprClient"/> (endpoint and API token come from DAPR_GRPC_ENDPOINT,
    /// DAPR_HTTP_ENDPOINT and DAPR_API_TOKEN, configuration first, then environment) and the system clock.
    /// Nothing here contacts the sidecar: startup must not depend on it being up.
    /// </summary>
    public static WebApplicationBuilder AddSidecar(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DaprOptions>()
            .BindConfiguration(DaprOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddDaprClient();

        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }
}
