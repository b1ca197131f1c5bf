using Dapr;
using Grpc.Core;
using Polly;
using Polly.Retry;

namespace ModeRefresh.Refresh.State;

/// <summary>
/// Retries of state store calls, here rather than in daprd: daprd's retry policy cannot tell a lost race from an
/// outage — on Redis and PostgreSQL a lost first write is a plain error, which it would retry and count in its circuit
/// breaker (see components/resiliency.yaml) — while this service can, by reading what is there. So the resiliency
/// files give the state store a timeout only, and what is worth retrying is retried by these pipelines.
/// </summary>
internal static class StateStoreResilience
{
    /// <summary>A call that failed fast (sidecar restarting, store blip): two more tries, 100 ms and ~200 ms later, with jitter.</summary>
    public const string Transient = "state-store";

    /// <summary>
    /// Recording an outcome after Mode accepted a run: the same, and a call that ran into Dapr:CallTimeout is retried too,
    /// because a "started" record left behind lets a redelivery after the lease run the report again.
    /// </summary>
    public const string Settle = "state-store-settle";

    public static IServiceCollection AddStateStoreResilience(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(Registered)))
        {
            return services;
        }

        services.AddSingleton<Registered>();
        services.AddResiliencePipeline(Transient, (pipeline, context) =>
        {
            pipeline.TimeProvider = context.ServiceProvider.GetRequiredService<TimeProvider>();
            pipeline.AddRetry(Retry(new PredicateBuilder().Handle<DaprException>(FailedFast)));
        });
        services.AddResiliencePipeline(Settle, (pipeline, context) =>
        {
            pipeline.TimeProvider = context.ServiceProvider.GetRequiredService<TimeProvider>();
            pipeline.AddRetry(Retry(new PredicateBuilder().Handle<DaprException>()));
        });
        return services;
    }

    /// <summary>
    /// Not a timeout or cancellation: a call that hung for Dapr:CallTimeout is not worth two more of the same while a
    /// delivery waits (daprd redelivers later anyway).
    /// </summary>
    public static bool FailedFast(DaprException ex) => ex.InnerException switch
    {
        OperationCanceledException => false,
        RpcException { StatusCode: StatusCode.Cancelled or StatusCode.DeadlineExceeded } => false,
        // Not worth another try: the request itself is refused.
        RpcException { StatusCode: StatusCode.InvalidArgument or StatusCode.ResourceExhausted or StatusCode.Unauthenticated or StatusCode.PermissionDenied } => false,
        _ => true,
    };

    private static RetryStrategyOptions Retry(PredicateBuilder<object> shouldHandle) => new()
    {
        ShouldHandle = shouldHandle,
        MaxRetryAttempts = 2,
        Delay = TimeSpan.FromMilliseconds(100),
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
    };

    private sealed class Registered;
}
