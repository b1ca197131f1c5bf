namespace ModeRefresh.Refresh.DeadLetters;

public static class DeadLetterExtensions
{
    public static WebApplicationBuilder AddDeadLetters(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DeadLetterOptions>()
            .BindConfiguration(DeadLetterOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<DeadLetterStore>();
        builder.Services.AddTransient<DeadLetterReplay>();
        builder.Services.ConfigureHttpJsonOptions(o =>
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, DeadLetterJsonContext.Default));
        return builder;
    }
}
