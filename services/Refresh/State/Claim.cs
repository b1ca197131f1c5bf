namespace ModeRefresh.Refresh.State;

/// <summary>The outcome of trying to become the one caller that runs a report for a dbt run.</summary>
public abstract record Claim
{
    private Claim()
    {
    }

    /// <summary>This caller holds the record (as of <see cref="ETag"/>) and must run the report.</summary>
    public sealed record Granted(string ETag, RunRecord Record) : Claim;

    public sealed record AlreadyDone(string? ModeRunToken) : Claim;

    public sealed record AlreadyFailed(string Reason) : Claim;

    /// <summary>Another delivery holds a fresh "started" record: try again later.</summary>
    public sealed record InFlight(DateTimeOffset Since) : Claim;
}
