using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace ModeRefresh.Refresh.Mode;

public static class ModeExtensions
{
    /// <summary>
    /// The typed Mode client behind one resilience handler, outermost first: total timeout → retry (408, 429, 5xx,
    /// timeouts, connection errors; exponential with jitter; Retry-After honoured) → per-credential rate limiter
    /// (each attempt waits its turn) → per-attempt timeout.
    /// </summary>
    public static WebApplicationBuilder AddModeClient(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModeOptions>()
            .BindConfiguration(ModeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ModeOptions>, ModeOptionsValidator>();
        builder.Services.AddSingleton<ModeCredentialStore>();
        builder.Services.AddSingleton<ModeRateLimiter>();
        builder.Services.AddSingleton<RefreshMetrics>();
        builder.Services.AddTransient<ModeCallMetricsHandler>();

        builder.Services.AddHttpClient<ModeClient>((services, http) =>
            {
                var baseUrl = services.GetRequiredService<IOptions<ModeOptions>>().Value.BaseUrl;
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's total timeout is the limit
            })
            // Outermost: one count per call, whatever the retries below did.
            .AddHttpMessageHandler<ModeCallMetricsHandler>()
            .AddResilienceHandler("mode", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<ModeOptions>>().Value;
                var limiter = context.ServiceProvider.GetRequiredService<ModeRateLimiter>();
                var metrics = context.ServiceProvider.GetRequiredService<RefreshMetrics>();
                var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
                pipeline.AddTimeout(options.TotalTimeout);
                if (options.MaxRetryAttempts > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.MaxRetryAttempts,
                        Delay = options.RetryBaseDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldRetryAfterHeader = true,
                    });
                }

                pipeline
                    .AddRateLimiter(new HttpRateLimiterStrategyOptions
                    {
                        RateLimiter = async args =>
                        {
                            var request = args.Context.GetRequestMessage()!;
                            var attempts = ModeAttempts.Of(request);
                            attempts?.Waiting();
                            var started = time.GetTimestamp();
                            var lease = await limiter.AcquireAsync(request, args.Context.CancellationToken);
                            metrics.RateLimitWait(time.GetElapsedTime(started), lease.IsAcquired);
                            if (lease.IsAcquired)
                            {
                                attempts?.Let();
                            }

                            return lease;
                        },
                    })
                    .AddTimeout(options.AttemptTimeout);
            });
        return builder;
    }
}
