using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// The one health setup of both services. <c>/healthz</c>: the process serves requests; no check runs, so a sidecar
/// outage never gets the app restarted. <c>/readyz</c>: every check tagged <see cref="ReadyTag"/> (the sidecar, and
/// whatever the service adds, e.g. Ingress's "a webhook key is loaded"); 200 when all pass, 503 otherwise, the body
/// <c>{"status":"Unhealthy","reason":"…","checks":{"dapr-sidecar":"Unhealthy",…}}</c> with each failing check's
/// reason. Both open: no token, no authorization.
/// </summary>
public static class ServiceHealth
{
    public const string ReadyTag = "ready";
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    internal static void AddServiceHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks();
        builder.Services.AddSingleton<SidecarHealthProbe>();
        // The health check service writes an error line for every unhealthy probe (Kubernetes: every few seconds);
        // each service logs a change of the sidecar's state once instead.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.None);
    }

    /// <summary>Adds a check that <c>/readyz</c> runs; its description, when it fails, is the reason given.</summary>
    public static IHealthChecksBuilder AddReadinessCheck<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IHealthChecksBuilder builder, string name, TimeSpan? timeout = null)
        where T : class, IHealthCheck =>
        timeout is { } bound
            ? builder.AddCheck<T>(name, tags: [ReadyTag], timeout: bound)
            : builder.AddCheck<T>(name, tags: [ReadyTag]);

    internal static IEndpointRouteBuilder MapServiceHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
        });
        return app;
    }

    /// <summary>Written with Utf8JsonWriter: no serializer, nothing for trimming or Native AOT to lose.</summary>
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        var reasons = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy)
            .Select(e => e.Description ?? e.Exception?.Message ?? e.Status.ToString())
            .Distinct(StringComparer.Ordinal).ToList();
        if (reasons.Count > 0) json.WriteString("reason", string.Join("; ", reasons));
        if (report.Entries.Count > 0)
        {
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries) json.WriteString(name, entry.Status.ToString());
            json.WriteEndObject();
        }

        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
