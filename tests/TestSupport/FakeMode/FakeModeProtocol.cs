using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ModeRefresh.TestSupport;

/// <summary>An answer decided for one call: status, headers and Mode-shaped JSON body.</summary>
internal sealed record FakeModeAnswer(int StatusCode, JsonObject? Body, TimeSpan? RetryAfter = null, string? RunToken = null)
{
    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = StatusCode;
        if (RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (Body is not null)
        {
            response.ContentType = StatusCode is 200 or 202 ? "application/hal+json; charset=utf-8" : "application/json; charset=utf-8";
            await response.WriteAsync(Body.ToJsonString());
        }
    }
}

/// <summary>Mode's checks, in the order Mode applies them, and the Report Run it answers with.</summary>
internal static class FakeModeProtocol
{
    public static FakeModeAnswer Check(FakeModeRequest request, IReadOnlySet<string>? knownReports,
        FakeModeRateLimit? limit = null, DateTimeOffset now = default)
    {
        if (!request.IsRunsPath)
        {
            return Error(404, "not_found", "Not found");
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            return Error(405, "method_not_allowed", "Method not allowed");
        }

        if (!request.AuthOk)
        {
            return Error(401, "unauthorized", "Unauthorized: invalid API token or secret");
        }

        if (limit?.TryAdmit(request.Authorization!, now) == false)
        {
            return RateLimited;
        }

        if (request.Json is not JsonObject body || body["parameters"] is not JsonObject)
        {
            return Error(400, "bad_request", "Request body must be a JSON object with a \"parameters\" object");
        }

        if (knownReports is not null && !knownReports.Contains(request.Report!))
        {
            return Error(404, "not_found", $"Report {request.Report} not found");
        }

        return Accepted(request, (JsonObject)body["parameters"]!);
    }

    /// <summary>A status poll: the same checks (GET instead of POST), then the run as it stands, or 404 for a run Mode never started.</summary>
    public static FakeModeAnswer CheckPoll(FakeModeRequest request, IReadOnlySet<string>? knownReports, FakeModeRateLimit? limit,
        DateTimeOffset now, FakeModeRuns runs, string baseUrl)
    {
        if (!HttpMethods.IsGet(request.Method))
        {
            return Error(405, "method_not_allowed", "Method not allowed");
        }

        if (!request.AuthOk)
        {
            return Error(401, "unauthorized", "Unauthorized: invalid API token or secret");
        }

        if (limit?.TryAdmit(request.Authorization!, now) == false)
        {
            return RateLimited;
        }

        if (knownReports is not null && !knownReports.Contains(request.Report!))
        {
            return Error(404, "not_found", $"Report {request.Report} not found");
        }

        return runs.Poll(request.Workspace!, request.Report!, request.Run!, now, baseUrl) is { } run
            ? new FakeModeAnswer(200, run, RunToken: request.Run)
            : Error(404, "not_found", $"Report run {request.Run} not found");
    }

    public static FakeModeAnswer Scripted(FakeModeResponse response) => new(
        response.StatusCode,
        Body(response.StatusCode switch
        {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            429 => "too_many_requests",
            _ => "error",
        }, response.Message ?? $"Scripted status {response.StatusCode}"),
        response.RetryAfter);

    private static FakeModeAnswer Accepted(FakeModeRequest request, JsonObject parameters)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var report = $"/api/{request.Workspace}/reports/{request.Report}";
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["token"] = token,
            ["state"] = "enqueued",
            ["parameters"] = parameters.DeepClone(),
            ["created_at"] = now,
            ["updated_at"] = now,
            ["completed_at"] = null,
            ["is_latest_report_run"] = true,
            ["_links"] = new JsonObject
            {
                ["self"] = Link($"{report}/runs/{token}"),
                ["report"] = Link(report),
                ["query_runs"] = Link($"{report}/runs/{token}/query_runs"),
                ["content"] = Link($"{report}/runs/{token}/content"),
            },
        };
        return new FakeModeAnswer(202, body, RunToken: token);
    }

    private static FakeModeAnswer RateLimited => Error(429, "too_many_requests", "Rate limit exceeded");

    private static FakeModeAnswer Error(int status, string id, string message) => new(status, Body(id, message));

    private static JsonObject Body(string id, string message) => new() { ["id"] = id, ["message"] = message };

    private static JsonObject Link(string href) => new() { ["href"] = href };
}
