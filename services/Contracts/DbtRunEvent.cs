namespace ModeRefresh.Contracts;

/// <summary>
/// A verified dbt Cloud job-run webhook, as Ingress publishes it and Refresh consumes it.
/// IDs are strings whatever dbt sent (dbt's examples use strings; numbers are seen in the wild).
/// </summary>
public sealed record DbtRunEvent
{
    public required string EventId { get; init; }
    public required string EventType { get; init; }
    public string? WebhookId { get; init; }
    public string? WebhookName { get; init; }
    public string? AccountId { get; init; }
    public string? Timestamp { get; init; }
    public required DbtRunData Data { get; init; }
}

/// <summary>The <c>data</c> object of a dbt Cloud job-run webhook.</summary>
public sealed record DbtRunData
{
    public string? JobId { get; init; }
    public string? JobName { get; init; }
    public string? RunId { get; init; }
    public string? EnvironmentId { get; init; }
    public string? EnvironmentName { get; init; }
    public string? ProjectId { get; init; }
    public string? ProjectName { get; init; }
    public string? DbtVersion { get; init; }
    public string? RunStatus { get; init; }
    public int? RunStatusCode { get; init; }
    public string? RunStatusMessage { get; init; }
    public string? RunReason { get; init; }
    public string? RunStartedAt { get; init; }
    public string? RunFinishedAt { get; init; }
    public string? RunErroredAt { get; init; }
}
