using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ModeRefresh.Refresh.Health;

/// <summary>
/// <c>/healthz</c>: the process serves requests (no dependencies checked, so a sidecar outage does not get the
/// app restarted). <c>/readyz</c>: the sidecar is reachable and ready, with the reason in the body when not.
/// Both open, without the app API token.
/// </summary>
public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        // A backstop only: each half of the probe has its own shorter bound and reports why it ended.
        builder.Services.AddHealthChecks()
            .AddCheck<SidecarHealthCheck>("dapr-sidecar", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5));

        // The health check service writes an error line for every unhealthy probe; SidecarReachability logs the
        // change of state once instead.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.None);
        return builder;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReadinessAsync,
        });
        return app;
    }

    /// <summary><c>{"status":"Unhealthy","reason":"the Dapr sidecar is not reachable at ..."}</c>.</summary>
    private static async Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        var reasons = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy)
            .Select(e => e.Description ?? e.Exception?.Message ?? e.Status.ToString()).ToList();
        if (reasons.Count > 0)
        {
            json.WriteString("reason", string.Join("; ", reasons));
        }

        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
