namespace ModeRefresh.Refresh.Tracking;

public static class TrackingExtensions
{
    public static WebApplicationBuilder AddRunTracking(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TrackingOptions>()
            .BindConfiguration(TrackingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<AlertOptions>()
            .BindConfiguration(AlertOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<TrackingMetrics>();
        builder.Services.AddSingleton<SidecarJobs>();
        builder.Services.AddSingleton<RunTracker>();
        return builder;
    }
}
