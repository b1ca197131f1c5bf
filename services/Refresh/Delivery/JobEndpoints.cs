using Microsoft.AspNetCore.Http.HttpResults;
using ModeRefresh.Refresh.Auth;
using ModeRefresh.Refresh.Planning.Coalescing;
using ModeRefresh.Refresh.Tracking;

namespace ModeRefresh.Refresh.Delivery;

public static class JobEndpoints
{
    /// <summary>
    /// daprd delivers a due job as <c>POST /job/{name}</c> with the job's data as body and <c>dapr-api-token</c> when
    /// APP_API_TOKEN is set (dapr/dapr v1.18.0 pkg/channel/http/http_channel.go); any non-2xx answer is a failed
    /// trigger, retried by the job's failure policy.
    /// </summary>
    public static IEndpointRouteBuilder MapRunTracking(this IEndpointRouteBuilder app)
    {
        app.MapPost("/job/{name}", HandleAsync).RequireAppApiToken();
        return app;
    }

    private static async Task<Results<Ok, ProblemHttpResult>> HandleAsync(string name, HttpRequest request, RunTracker tracker, ReportCoalescer coalescer, CancellationToken ct)
    {
        var coalesce = name.StartsWith(ReportCoalescer.JobPrefix, StringComparison.Ordinal);
        if (!coalesce && !name.StartsWith(RunTracker.JobPrefix, StringComparison.Ordinal))
        {
            return TypedResults.Ok(); // not one of ours: nothing to retry
        }

        using var buffer = new MemoryStream();
        // Job data is what this service scheduled: small. Bounded anyway.
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > 64 * 1024)
        {
            return TypedResults.Ok();
        }

        var data = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        return await (coalesce ? coalescer.FireAsync(name, data, ct) : tracker.PollAsync(name, data, ct))
            ? TypedResults.Ok()
            : TypedResults.Problem("Could not take the next step; retry the job.", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
