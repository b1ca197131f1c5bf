using System.Text.Json.Serialization;

namespace ModeRefresh.Lineage.DbtCloud;

/// <summary>A dbt Cloud run as the Admin API's Retrieve Run (<c>include_related=["run_steps"]</c>) describes it.</summary>
/// <param name="Id">Run id.</param>
/// <param name="Status">1 queued, 2 starting, 3 running, 10 success, 20 error, 30 cancelled.</param>
/// <param name="IsComplete">Whether the run has finished (null when the answer does not say).</param>
/// <param name="ArtifactsSaved">Whether dbt Cloud saved the run's artifacts (null when the answer does not say).</param>
/// <param name="Steps">Its steps in index order; empty when the answer had none.</param>
public sealed record DbtRun(long Id, int Status, bool? IsComplete, bool? ArtifactsSaved, IReadOnlyList<DbtRunStep> Steps);

/// <summary>One step of a run: clone, profile, deps, then one per dbt command of the job (and docs generate).</summary>
public sealed record DbtRunStep(int Index, string? Name, int? Status);

/// <summary>What one Admin API call came to, after the resilience pipeline did what it could.</summary>
public abstract record DbtCloudResult<T>
{
    private DbtCloudResult()
    {
    }

    public sealed record Ok(T Value) : DbtCloudResult<T>;

    /// <summary>404: the run (or this step) has no such artifact.</summary>
    public sealed record NotFound(string Reason) : DbtCloudResult<T>;

    /// <summary>May pass later (408, 429, 5xx, timeouts, connection errors): try again on redelivery.</summary>
    public sealed record Transient(string Reason) : DbtCloudResult<T>;

    /// <summary>Will not pass as configured (401, 403, other 4xx, an artifact that cannot be read or is too large).</summary>
    public sealed record Permanent(string Reason) : DbtCloudResult<T>;
}

// Wire shapes, read with source-generated metadata (no reflection: trim/AOT safe).
internal sealed record RunEnvelope(RunData? Data, ApiStatus? Status);

internal sealed record RunData(
    long Id,
    int Status,
    bool? IsComplete,
    bool? ArtifactsSaved,
    IReadOnlyList<RunStepData>? RunSteps);

internal sealed record RunStepData(int Index, string? Name, int? Status);

internal sealed record ErrorEnvelope(ApiStatus? Status);

internal sealed record ApiStatus(int? Code, bool? IsSuccess, string? UserMessage, string? DeveloperMessage);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(RunEnvelope))]
[JsonSerializable(typeof(ErrorEnvelope))]
internal sealed partial class DbtCloudJsonContext : JsonSerializerContext;
