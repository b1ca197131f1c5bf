using Microsoft.Extensions.Options;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Sidecar;

public static class SidecarExtensions
{
    /// <summary>
    /// Registers the <see cref="Dapr.Client.DaprClient"/> (endpoint and API token from DAPR_GRPC_ENDPOINT,
    /// DAPR_HTTP_ENDPOINT and DAPR_API_TOKEN, configuration first, then environment: the same reading the service
    /// defaults check at start-up) with a channel that reconnects promptly (<see cref="SidecarChannel"/>), and the
    /// sidecar probe and monitor. The <c>Dapr</c> section, the endpoints and the clock come from AddServiceDefaults.
    /// Nothing here waits for the sidecar: startup must not depend on it being up.
    /// </summary>
    public static WebApplicationBuilder AddSidecar(this WebApplicationBuilder builder)
    {
        builder.Services.AddDaprClient((services, client) =>
        {
            // The checked endpoints: reading them validates them, so a bad DAPR_GRPC_ENDPOINT fails naming the variable
            // (one start-up line), not with the SDK's "The gRPC endpoint must use http or https." and a stack trace.
            var sidecar = services.GetRequiredService<IOptions<SidecarEndpoints>>().Value;
            client.UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint)
                .UseGrpcChannelOptions(SidecarChannel.Options());
        });
        builder.Services.AddSingleton<SidecarProbe>();
        builder.Services.AddSingleton<SidecarReachability>();
        builder.Services.AddHostedService<SidecarMonitor>();
        return builder;
    }
}
