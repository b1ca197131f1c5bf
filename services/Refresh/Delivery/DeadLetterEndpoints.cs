using Dapr;
using Dapr.Client;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Auth;
using ModeRefresh.ServiceDefaults;
using ModeRefresh.Refresh.Subscription;
using ModeRefresh.Refresh.DeadLetters;
using ModeRefresh.Refresh.Runs;
using ModeRefresh.Refresh.Sidecar;

namespace ModeRefresh.Refresh.Delivery;

public static class DeadLetterEndpoints
{
    public const string Route = "/events/dbt-job-run-completed-deadletter";
    public const string ListRoute = "/deadletters";

    public static IEndpointRouteBuilder MapDeadLetters(this IEndpointRouteBuilder app)
    {
        var dapr = app.ServiceProvider.GetRequiredService<IOptions<DaprOptions>>().Value;
        var topics = app.ServiceProvider.GetRequiredService<IOptions<SubscriptionOptions>>().Value;

        app.MapPost(Route, HandleAsync)
            .WithTopic(new TopicOptions { PubsubName = dapr.PubsubName, Name = topics.DeadLetterTopic })
            .RequireAppApiToken();
        app.MapGet(ListRoute, ListAsync).RequireAppApiToken();
        app.MapGet(ListRoute + "/{id}", GetAsync).RequireAppApiToken();
        app.MapPost(ListRoute + "/{id}/replay", ReplayAsync).RequireAppApiToken();
        app.MapDelete(ListRoute + "/{id}", DeleteAsync).RequireAppApiToken();
        return app;
    }

    private static async Task<Ok<TopicAnswer>> HandleAsync(
        HttpRequest request, DeadLetterHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(CloudEventId.Of(request), request.Body, ct));

    private static async Task<Results<Ok<IReadOnlyList<DeadLetterEntry>>, ProblemHttpResult>> ListAsync(
        DeadLetterStore store, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await store.ListAsync(ct));
        }
        catch (DaprException)
        {
            return TypedResults.Problem("The state store is unavailable.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<Results<Ok<DeadLetterEntry>, NotFound<ProblemDetails>, ProblemHttpResult>> GetAsync(
        string id, DeadLetterStore store, CancellationToken ct)
    {
        try
        {
            return await store.GetAsync(id, ct) is { } entry
                ? TypedResults.Ok(entry)
                : NotListed();
        }
        catch (DaprException)
        {
            return TypedResults.Problem("The state store is unavailable.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<Results<Accepted<ReplayAnswer>, NotFound<ProblemDetails>, Conflict<ProblemDetails>, ProblemHttpResult>> ReplayAsync(
        string id, DeadLetterReplay replay, CancellationToken ct)
    {
        try
        {
            return await replay.ReplayAsync(id, ct) switch
            {
                DeadLetterReplay.Result.Replayed r => TypedResults.Accepted((string?)null, r.Answer),
                DeadLetterReplay.Result.NotReplayable n => TypedResults.Conflict(new ProblemDetails
                {
                    Title = "This dead letter cannot be replayed.", Detail = n.Reason, Status = StatusCodes.Status409Conflict,
                }),
                _ => NotListed(),
            };
        }
        catch (DaprException)
        {
            return TypedResults.Problem("The state store or pub/sub is unavailable; nothing was published. Try again.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>204 whether or not it was listed: deleting is idempotent, and a repeated call must not look like a failure.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, DeadLetterStore store, CancellationToken ct)
    {
        try
        {
            await store.DeleteAsync(id, ct);
            return TypedResults.NoContent();
        }
        catch (DaprException)
        {
            return TypedResults.Problem("The state store is unavailable.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static NotFound<ProblemDetails> NotListed() =>
        TypedResults.NotFound(new ProblemDetails { Title = "No dead letter with this id is listed.", Status = StatusCodes.Status404NotFound });
}
