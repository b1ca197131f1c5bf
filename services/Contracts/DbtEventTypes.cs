namespace ModeRefresh.Contracts;

/// <summary>dbt Cloud's webhook event types and the run status that means success.</summary>
public static class DbtEventTypes
{
    public const string RunStarted = "job.run.started";
    public const string RunCompleted = "job.run.completed";
    public const string RunErrored = "job.run.errored";

    /// <summary>dbt's runStatusCode for a successful run.</summary>
    public const int SuccessStatusCode = 10;
    public const string SuccessStatus = "Success";
}
