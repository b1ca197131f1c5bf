namespace ModeRefresh.TestSupport;

/// <summary>
/// How to start a <see cref="StandInSidecar"/>. The defaults give the plain stand-in of
/// <see cref="StandInSidecar.StartAsync(CancellationToken)"/>: publishes are recorded and go nowhere.
/// </summary>
public sealed record StandInSidecarOptions
{
    /// <summary>Stamps calls and publishes and decides when ttlInSeconds state expires.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Accepted publishes are also stored here, and subscriptions read from here. Share one between sidecars.</summary>
    public StandInBroker? Broker { get; init; }

    /// <summary>The app's base URL (daprd's app channel). With a broker, the sidecar reads the app's subscriptions and delivers.</summary>
    public Uri? AppChannel { get; init; }

    /// <summary>Sent as <c>dapr-api-token</c> on every request to the app (daprd's <c>APP_API_TOKEN</c>).</summary>
    public string? AppApiToken { get; init; }

    /// <summary>
    /// The app id: the default CloudEvent <c>source</c> of what this sidecar publishes, and its consumer group on the
    /// broker (daprd's default consumerID): sidecars of one app id share a topic's messages, each to one of them.
    /// </summary>
    public string AppId { get; init; } = "app";

    public StandInDeliveryOptions Delivery { get; init; } = new();

    /// <summary>
    /// Where jobs scheduled through this sidecar are kept, and which delivers its app id's jobs to its app. Share one
    /// between sidecars (and across a sidecar's restart), as Dapr's Scheduler is shared. Null: a scheduler of its own
    /// on <see cref="TimeProvider"/>, gone when the sidecar stops.
    /// </summary>
    public StandInScheduler? Scheduler { get; init; }

    /// <summary>
    /// The state store behind the state API. Null: a Redis-flavoured store of the sidecar's own, on its clock. Share
    /// one between sidecars for replicas of one app on one store; pick the flavour to answer as Redis or PostgreSQL.
    /// </summary>
    public StandInStateStore? StateStore { get; init; }

    /// <summary>
    /// daprd's outbound resiliency policy for the state store (retry, circuit breaker). Null: none, as in this
    /// project's resiliency files (components/resiliency.yaml gives the state store a timeout only).
    /// </summary>
    public StandInStateResiliency? StateResiliency { get; init; }
}

/// <summary>Redelivery and concurrency for deliveries to the app; small values suit tests.</summary>
public sealed record StandInDeliveryOptions
{
    /// <summary>Wait before the second attempt; doubles per attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts per delivered copy, the first included; after the last RETRY the message is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Messages of one subscription delivered at the same time (daprd delivers concurrently too).</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>An app slower than this counts as a failed attempt (retried).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>At-least-once: each message is delivered this many times (see <see cref="StandInSidecar.DeliveryCopies"/>).</summary>
    public int Copies { get; init; } = 1;

    /// <summary>True: the copies are delivered at the same time; false: one after the other finished.</summary>
    public bool ConcurrentCopies { get; init; } = true;
}
