using ModeRefresh.Refresh.State;

namespace ModeRefresh.Refresh.History;

public static class HistoryExtensions
{
    public static WebApplicationBuilder AddRunHistory(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HistoryOptions>()
            .BindConfiguration(HistoryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddStateStoreResilience();
        builder.Services.AddSingleton<HistoryRecorder>();
        builder.Services.AddSingleton<HistoryStore>();
        builder.Services.AddHostedService<HistoryWriter>();
        builder.Services.ConfigureHttpJsonOptions(o =>
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, HistoryJsonContext.Default));
        return builder;
    }
}
