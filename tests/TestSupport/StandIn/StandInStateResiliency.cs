namespace ModeRefresh.TestSupport;

/// <summary>
/// daprd's outbound resiliency policy for the state store component (a Resiliency resource's
/// <c>targets.components.statestore.outbound</c>), as daprd applies it (dapr/dapr v1.18.0 pkg/resiliency/policy.go):
/// the circuit breaker wraps each attempt, the retry wraps the breaker. Null on the sidecar options: no policy, one
/// attempt per call. The timeout is not modelled (use HangNext/DelayNext).
/// </summary>
public sealed record StandInStateResiliency
{
    /// <summary>The retry policy's <c>maxRetries</c>; 0 = no retry policy.</summary>
    public int MaxRetries { get; init; }

    /// <summary>Wall-clock pause before each retry (daprd: the policy's back-off). Zero keeps tests fast.</summary>
    public TimeSpan RetryInterval { get; init; }

    /// <summary>The circuit breaker, or null for none.</summary>
    public StandInCircuitBreaker? CircuitBreaker { get; init; }
}

/// <summary>
/// A circuit breaker as daprd builds it (dapr/dapr v1.18.0 pkg/resiliency/breaker/circuitbreaker.go on
/// sony/gobreaker v0.5.0): every error of an attempt counts as a failure — an ETag mismatch too, since daprd sets no
/// IsSuccessful and gobreaker's default counts any non-nil error — and every success resets the consecutive count.
/// Open, it fails calls without asking the store until <see cref="Timeout"/> passed; half-open, it lets
/// <see cref="MaxRequests"/> through and closes after that many successes. Time comes from the sidecar's TimeProvider.
/// </summary>
public sealed record StandInCircuitBreaker
{
    /// <summary>The trip expression <c>consecutiveFailures &gt;= N</c> (gobreaker's own default is &gt; 5).</summary>
    public int TripAtConsecutiveFailures { get; init; } = 6;

    /// <summary>How long the breaker stays open.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>While closed, counts are cleared every <c>interval</c>; zero never clears them.</summary>
    public TimeSpan Interval { get; init; }

    /// <summary>Calls let through while half-open.</summary>
    public int MaxRequests { get; init; } = 1;
}

/// <summary>The state of daprd's circuit breaker for one state store.</summary>
public enum StandInBreakerState
{
    Closed,
    Open,
    HalfOpen,
}
