using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.Routing;

public static class RoutingExtensions
{
    public static WebApplicationBuilder AddReportRouting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RoutingOptions>()
            .BindConfiguration(RoutingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>();
        builder.Services.AddSingleton<ReportRouter>();
        builder.Services.AddHostedService<RoutingNotice>();
        return builder;
    }
}
