using Dapr;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ModeRefresh.Refresh.Auth;
using ModeRefresh.Refresh.Planning.Exposures;

namespace ModeRefresh.Refresh.Delivery;

public static class ExposureEndpoints
{
    public const string DecisionRoute = "/runs/{runId}/decision";

    /// <summary><c>GET /runs/{runId}/decision</c>: why a run's exposures did or did not refresh; behind the app API token like /deadletters.</summary>
    public static IEndpointRouteBuilder MapRunDecisions(this IEndpointRouteBuilder app)
    {
        app.MapGet(DecisionRoute, GetAsync).RequireAppApiToken();
        return app;
    }

    private static async Task<Results<Ok<LineageDecisionRecord>, NotFound<ProblemDetails>, ProblemHttpResult>> GetAsync(
        string runId, LineageDecisionStore store, CancellationToken ct)
    {
        try
        {
            return await store.GetAsync(runId.Trim(), ct) is { } record
                ? TypedResults.Ok(record)
                : TypedResults.NotFound(new ProblemDetails
                {
                    Title = "No exposure decision is kept for this dbt run (Exposures:Enabled off, never delivered, or expired after Idempotency:RecordTtl).",
                    Status = StatusCodes.Status404NotFound,
                });
        }
        catch (DaprException)
        {
            return TypedResults.Problem("The state store is unavailable.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
