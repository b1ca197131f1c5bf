using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using ModeRefresh.Lineage.DbtCloud;

namespace ModeRefresh.Lineage;

public static class LineageServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ExposureRouter"/> and the typed <see cref="DbtCloudClient"/>, with <see cref="ExposureOptions"/>
    /// (section <c>Exposures</c>) and <see cref="DbtCloudOptions"/> (section <c>DbtCloud</c>) bound and validated on
    /// start. The client sits behind the standard resilience handler: total timeout (<c>DbtCloud:RequestTimeout</c>)
    /// → retry (408, 429, 5xx, timeouts, connection errors; exponential with jitter; Retry-After honoured) → circuit
    /// breaker → per-attempt timeout (<c>DbtCloud:AttemptTimeout</c>). Bodies are read after it, under
    /// <c>DbtCloud:DownloadTimeout</c>.
    /// </summary>
    public static IServiceCollection AddExposureLineage(this IServiceCollection services)
    {
        services.AddOptions<ExposureOptions>().BindConfiguration(ExposureOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ExposureOptions>, ExposureOptionsValidator>();
        services.AddOptions<DbtCloudOptions>().BindConfiguration(DbtCloudOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DbtCloudOptions>, DbtCloudOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient<DbtCloudClient>((provider, http) =>
            {
                var baseUrl = provider.GetRequiredService<IOptions<DbtCloudOptions>>().Value.BaseUrl;
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's timeouts and DownloadTimeout are the limits
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // The size limit then applies to what is parsed, however the body was compressed.
                AutomaticDecompression = DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .AddStandardResilienceHandler()
            .Configure((resilience, provider) =>
            {
                var o = provider.GetRequiredService<IOptions<DbtCloudOptions>>().Value;
                resilience.TotalRequestTimeout.Timeout = o.RequestTimeout;
                resilience.AttemptTimeout.Timeout = o.AttemptTimeout;
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, 2 * o.AttemptTimeout.Ticks));
                resilience.Retry.Delay = o.RetryBaseDelay;
                resilience.Retry.MaxRetryAttempts = Math.Max(1, o.MaxRetryAttempts);
                if (o.MaxRetryAttempts == 0)
                {
                    // Polly wants at least one attempt configured; "no retries" is a predicate that never retries.
                    resilience.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
                }
            });

        services.AddTransient<ExposureRouter>();
        return services;
    }
}
