using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.State;

public static class IdempotencyExtensions
{
    public static WebApplicationBuilder AddIdempotency(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdempotencyOptions>()
            .BindConfiguration(IdempotencyOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<IdempotencyOptions>, IdempotencyOptionsValidator>();
        builder.Services.AddStateStoreResilience();
        builder.Services.AddSingleton<JsonRecordStore>();
        builder.Services.AddSingleton<RunRecordStore>();
        builder.Services.AddSingleton<RunLedger>();
        return builder;
    }
}
