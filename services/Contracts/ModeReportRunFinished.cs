namespace ModeRefresh.Contracts;

/// <summary>
/// Published by Refresh on <c>Subscription:OutcomesTopic</c> once a Mode report run it started has finished, or was
/// given up on after <c>Tracking:Timeout</c>.
/// </summary>
public sealed record ModeReportRunFinished
{
    public required string RunId { get; init; }
    public string? JobId { get; init; }
    public required string Workspace { get; init; }
    public required string Report { get; init; }
    public required string ModeRunToken { get; init; }

    /// <summary>Mode's final state (succeeded, completed, failed, cancelled), or <c>timed_out</c>.</summary>
    public required string State { get; init; }

    /// <summary>True for succeeded and completed.</summary>
    public bool Succeeded { get; init; }

    /// <summary>When Mode accepted the run (Refresh's clock).</summary>
    public DateTimeOffset AcceptedAt { get; init; }

    /// <summary>Mode's <c>completed_at</c>, as Mode wrote it, when it gave one.</summary>
    public string? CompletedAt { get; init; }

    /// <summary>When Refresh saw the final state, or gave up.</summary>
    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>The run's page for a person (Mode's <c>_links.web_external_url</c>), when Mode gives one.</summary>
    public string? WebUrl { get; init; }

    /// <summary>Status polls it took.</summary>
    public int Polls { get; init; }

    /// <summary>For <c>timed_out</c>: the last state seen or why the last poll failed.</summary>
    public string? LastSeen { get; init; }
}
