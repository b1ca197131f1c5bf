namespace ModeRefresh.Contracts;

/// <summary>
/// The pub/sub topic names both services agree on, as the defaults of their topic settings (Ingress:CompletedTopic,
/// Ingress:StartedTopic, Ingress:ErroredTopic; Subscription:CompletedTopic, Subscription:DeadLetterTopic,
/// Subscription:RunsTopic, Subscription:OutcomesTopic). One literal each, so a default cannot drift between the
/// publisher and the subscriber; the deployment YAML (JetStream streams, Kafka and Service Bus topics, resiliency)
/// names the same strings and is checked against these by tests/Resources.Tests.
/// </summary>
public static class Topics
{
    /// <summary>Verified <c>job.run.completed</c> events: Ingress publishes, Refresh subscribes.</summary>
    public const string DbtRunCompleted = "dbt-job-run-completed";

    /// <summary>Verified <c>job.run.started</c> events (published by Ingress; no subscriber of ours).</summary>
    public const string DbtRunStarted = "dbt-job-run-started";

    /// <summary>Verified <c>job.run.errored</c> events (published by Ingress; no subscriber of ours).</summary>
    public const string DbtRunErrored = "dbt-job-run-errored";

    /// <summary>Where daprd sends completed events that Refresh answered DROP or whose redeliveries ran out.</summary>
    public const string DbtRunCompletedDeadLetter = "dbt-job-run-completed-deadletter";

    /// <summary>Each Mode report run Refresh started (<see cref="ModeReportRunAccepted"/>).</summary>
    public const string ModeReportRuns = "mode-report-runs";

    /// <summary>The end of each Mode report run Refresh followed (<see cref="ModeReportRunFinished"/>).</summary>
    public const string ModeReportRunFinished = "mode-report-run-finished";
}
