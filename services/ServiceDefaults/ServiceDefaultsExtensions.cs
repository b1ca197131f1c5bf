using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// What both services are as services, set up once (in the spirit of eShop's ServiceDefaults): telemetry, the
/// <c>Dapr</c> settings section, where the sidecar is, the clock, health and readiness, the error shape. Each
/// Program.cs is <c>AddServiceDefaults</c>, its own <c>Add…</c>, its <c>Map…</c> and <c>RunOrReportStartupFailure</c>.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <param name="serviceName">The telemetry service name unless OTEL_SERVICE_NAME is set.</param>
    /// <param name="meters">The service's own meter names.</param>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName, params string[] meters)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceTelemetry(serviceName, meters);

        // Injected everywhere time matters, so tests can move it.
        builder.Services.TryAddSingleton(TimeProvider.System);

        // One Dapr section for both services, checked before anything starts: a bad value is one start-up line
        // naming its key (Dapr:CallTimeout must be between …). The generated validator needs no reflection.
        builder.Services.AddOptions<DaprOptions>()
            .BindConfiguration(DaprOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DaprOptions>, DaprOptionsKeyValidator>();

        // Where the sidecar is (DAPR_GRPC_ENDPOINT, DAPR_HTTP_ENDPOINT, DAPR_API_TOKEN, as the SDK resolves them),
        // read once for both services and checked at start-up.
        builder.Services.AddOptions<SidecarEndpoints>()
            .Configure<IConfiguration>((o, configuration) =>
            {
                var resolved = SidecarEndpoints.FromConfiguration(configuration);
                (o.GrpcEndpoint, o.HttpEndpoint, o.ApiToken) = (resolved.GrpcEndpoint, resolved.HttpEndpoint, resolved.ApiToken);
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SidecarEndpoints>, SidecarEndpointsValidator>();

        builder.AddServiceHealth();
        builder.Services.AddProblemDetails();
        return builder;
    }

    /// <summary>Maps <c>/healthz</c> and <c>/readyz</c> (see <see cref="ServiceHealth"/>).</summary>
    public static TBuilder MapServiceDefaults<TBuilder>(this TBuilder app)
        where TBuilder : IEndpointRouteBuilder
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapServiceHealth();
        return app;
    }
}
