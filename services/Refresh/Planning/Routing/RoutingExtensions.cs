using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.Planning.Routing;

public static class RoutingExtensions
{
    public static WebApplicationBuilder AddReportRouting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RoutingOptions>()
            .BindConfiguration(RoutingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>();
        // From the built configuration, not the builder's: a host (or test host) may add sources after this runs.
        builder.Services.AddSingleton(services => RouteSources.From(services.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton<IValidateOptions<RoutingOptions>, RouteSourcesValidator>();
        builder.Services.AddSingleton<ReportRouter>();
        builder.Services.AddHostedService<RoutingNotice>();
        return builder;
    }
}
