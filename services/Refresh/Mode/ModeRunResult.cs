namespace ModeRefresh.Refresh.Mode;

/// <summary>What one report run request came to, after the resilience pipeline did what it could.</summary>
public abstract record ModeRunResult
{
    private ModeRunResult()
    {
    }

    /// <summary>Mode accepted the run (2xx). <see cref="Run"/> is null if the body could not be read.</summary>
    public sealed record Accepted(ModeReportRun? Run) : ModeRunResult;

    /// <summary>Will not succeed as configured (400, 401, 403, 404, other 4xx): do not try again.</summary>
    public sealed record Permanent(int StatusCode, string Reason) : ModeRunResult;

    /// <summary>May succeed later (408, 429, 5xx, timeout, network, secret store): try on redelivery.</summary>
    public sealed record Transient(string Reason) : ModeRunResult;
}
