using Dapr;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Auth;
using ModeRefresh.ServiceDefaults;
using ModeRefresh.Refresh.Runs;
using ModeRefresh.Refresh.Sidecar;

namespace ModeRefresh.Refresh.Delivery;

public static class SubscriptionEndpoints
{
    public const string Route = "/events/dbt-job-run-completed";

    /// <summary><c>/dapr/subscribe</c> and the dbt run handler, both behind the app API token when it is set.</summary>
    public static IEndpointRouteBuilder MapDbtRunSubscription(this IEndpointRouteBuilder app)
    {
        var dapr = app.ServiceProvider.GetRequiredService<IOptions<DaprOptions>>().Value;
        var topics = app.ServiceProvider.GetRequiredService<IOptions<SubscriptionOptions>>().Value;

        app.MapSubscribeHandler().RequireAppApiToken();
        app.MapPost(Route, HandleAsync)
            .WithTopic(new TopicOptions
            {
                PubsubName = dapr.PubsubName,
                Name = topics.CompletedTopic,
                DeadLetterTopic = topics.DeadLetterTopic,
            })
            .RequireAppApiToken();
        return app;
    }

    private static async Task<Ok<TopicAnswer>> HandleAsync(
        HttpRequest request, RunCompletedHandler handler, CancellationToken ct) =>
        TypedResults.Ok(TopicAnswer.For(await handler.HandleAsync(CloudEventId.Of(request), request.Body, ct)));
}
