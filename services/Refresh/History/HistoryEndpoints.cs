using System.Globalization;
using Dapr;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ModeRefresh.Refresh.Auth;

namespace ModeRefresh.Refresh.History;

public static class HistoryEndpoints
{
    public const string Route = "/history";
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static IEndpointRouteBuilder MapRunHistory(this IEndpointRouteBuilder app)
    {
        app.MapGet(Route, ListAsync).RequireAppApiToken();
        app.MapGet(Route + "/{runId}", GetAsync).RequireAppApiToken();
        return app;
    }

    /// <summary>Query values are taken as text so that a bad one gets a reason rather than the framework's bare 400.</summary>
    private static async Task<Results<Ok<HistoryPage>, BadRequest<ProblemDetails>, ProblemHttpResult>> ListAsync(
        string? limit, string? before, HistoryStore store, CancellationToken ct)
    {
        var count = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxLimit))
        {
            return Bad($"limit must be a whole number from 1 to {MaxLimit}.");
        }

        long? cursor = null;
        if (before is not null)
        {
            if (!long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) || seq < 1)
            {
                return Bad("before must be the next value of an earlier page.");
            }

            cursor = seq;
        }

        try
        {
            return TypedResults.Ok(await store.ListAsync(count, cursor, ct));
        }
        catch (DaprException)
        {
            return Unavailable();
        }
    }

    private static async Task<Results<Ok<HistoryRun>, NotFound<ProblemDetails>, ProblemHttpResult>> GetAsync(
        string runId, HistoryStore store, CancellationToken ct)
    {
        try
        {
            return await store.GetAsync(runId, ct) is { } run
                ? TypedResults.Ok(run)
                : TypedResults.NotFound(new ProblemDetails
                {
                    Title = "No dbt run with this id is in the history.",
                    Detail = "It was never recorded, or it was dropped (History:MaxRuns) or expired (History:Retention).",
                    Status = StatusCodes.Status404NotFound,
                });
        }
        catch (DaprException)
        {
            return Unavailable();
        }
    }

    private static BadRequest<ProblemDetails> Bad(string detail) =>
        TypedResults.BadRequest(new ProblemDetails { Title = "Bad query.", Detail = detail, Status = StatusCodes.Status400BadRequest });

    private static ProblemHttpResult Unavailable() =>
        TypedResults.Problem("The state store is unavailable.", statusCode: StatusCodes.Status503ServiceUnavailable);
}
