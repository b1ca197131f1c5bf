using ModeRefresh.Lineage;

namespace ModeRefresh.Refresh.Planning.Exposures;

public static class ExposureExtensions
{
    /// <summary>
    /// Exposure-driven refresh (sections <c>Exposures</c> and <c>DbtCloud</c>, validated on start). Registered whether
    /// or not <c>Exposures:Enabled</c> is on: off, nothing here reads a secret or calls dbt Cloud.
    /// </summary>
    public static WebApplicationBuilder AddExposureRouting(this WebApplicationBuilder builder)
    {
        builder.Services.AddExposureLineage();
        builder.Services.AddSingleton<DbtCloudTokenSource>();
        builder.Services.AddSingleton<LineageDecisionStore>();
        builder.Services.AddTransient<ExposurePlanner>();
        builder.Services.ConfigureHttpJsonOptions(o =>
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, LineageJsonContext.Default));
        return builder;
    }
}
