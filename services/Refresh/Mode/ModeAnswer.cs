namespace ModeRefresh.Refresh.Mode;

/// <summary>
/// Mode's answer to one call that starts a report run, after the resilience pipeline did what it could. Not yet the
/// report's <see cref="Outcome"/>: the runner turns Accepted into Done, Refused into Failed and
/// Unavailable into Retry, after recording it.
/// </summary>
public abstract record ModeAnswer
{
    private ModeAnswer()
    {
    }

    /// <summary>Mode accepted the run (2xx). <see cref="Run"/> is null if the body could not be read.</summary>
    public sealed record Accepted(ModeReportRun? Run) : ModeAnswer;

    /// <summary>Mode refused it as asked (400, 401, 403, 404, other 4xx): it will not succeed as configured.</summary>
    public sealed record Refused(int StatusCode, string Reason) : ModeAnswer;

    /// <summary>No answer worth keeping now (408, 429, 5xx, timeout, network, secret store): it may succeed later.</summary>
    public sealed record Unavailable(string Reason) : ModeAnswer;
}
