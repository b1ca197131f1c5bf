using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Planning.Coalescing;
using ModeRefresh.Refresh.Runs;
using ModeRefresh.Refresh.Tracking;

namespace ModeRefresh.Refresh.Delivery;

public static class SubscriptionExtensions
{
    /// <summary>
    /// The deliveries (topic, dead-letter topic, job callbacks) and the use case they drive: the runs of a dbt run's
    /// reports, and the coalescer both the runs and its job callback use.
    /// </summary>
    public static WebApplicationBuilder AddDbtRunSubscription(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SubscriptionOptions>()
            .BindConfiguration(SubscriptionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SubscriptionOptions>, SubscriptionOptionsValidator>();
        builder.Services.AddSingleton<AcceptedRunPublisher>();
        builder.Services.AddTransient<ReportRunner>();
        builder.Services.AddSingleton<SweepProgressStore>();
        builder.Services.AddTransient<ReportSweep>();
        builder.Services.AddTransient<RunCompletedHandler>();
        builder.Services.AddSingleton<ReportCoalescer>();
        builder.Services.AddTransient<DeadLetterHandler>();
        builder.Services.AddExceptionHandler<TopicExceptionHandler>();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o =>
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, SubscriptionJsonContext.Default));
        return builder;
    }

    /// <summary>
    /// Unwraps CloudEvents (structured mode) and forwards the envelope id as a header; the guards around it let an
    /// unreadable envelope be told apart (see <see cref="EnvelopeGuard"/>).
    /// </summary>
    public static IApplicationBuilder UseDaprCloudEvents(this IApplicationBuilder app) =>
        app.Use(EnvelopeGuard.BeforeAsync)
            .UseCloudEvents(CloudEventId.MiddlewareOptions)
            .Use(EnvelopeGuard.AfterAsync);
}
