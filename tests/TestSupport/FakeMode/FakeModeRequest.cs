using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace ModeRefresh.TestSupport;

internal sealed record FakeModeCredentials(string Token, string Secret)
{
    /// <summary>Constant-time, like a real server should: tests may reuse this code as a pattern.</summary>
    public bool Match(string? authorization)
    {
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return false;
        }

        byte[] sent;
        try
        {
            sent = Convert.FromBase64String(header.Parameter);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(sent, Encoding.UTF8.GetBytes($"{Token}:{Secret}"));
    }
}

/// <summary>What was read from one request, before deciding the answer.</summary>
internal sealed partial record FakeModeRequest(
    string Method, string Path, string? Workspace, string? Report, bool AuthOk,
    string? Authorization, string? Accept, string? ContentType, string Body, JsonNode? Json, string? Run = null,
    string? TraceParent = null)
{
    /// <summary><c>/api/{workspace}/reports/{report}/runs</c>: starting a run.</summary>
    public bool IsRunsPath => Workspace is not null && Run is null;

    /// <summary><c>/api/{workspace}/reports/{report}/runs/{run}</c>: a run's status.</summary>
    public bool IsRunPath => Run is not null;

    public static async Task<FakeModeRequest> ReadAsync(HttpRequest request, FakeModeCredentials credentials, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(ct);
        JsonNode? json;
        try
        {
            json = body.Length == 0 ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            json = null;
        }

        var path = request.Path.Value ?? "/";
        var match = RunsPath().Match(path);
        var authorization = request.Headers.Authorization.ToString();
        return new FakeModeRequest(
            request.Method,
            path,
            match.Success ? Uri.UnescapeDataString(match.Groups["workspace"].Value) : null,
            match.Success ? Uri.UnescapeDataString(match.Groups["report"].Value) : null,
            credentials.Match(authorization),
            authorization.Length == 0 ? null : authorization,
            request.Headers.Accept.Count == 0 ? null : request.Headers.Accept.ToString(),
            request.ContentType,
            body,
            json,
            match.Success && match.Groups["run"].Success ? Uri.UnescapeDataString(match.Groups["run"].Value) : null,
            request.Headers.TryGetValue("traceparent", out var traceParent) ? traceParent.ToString() : null);
    }

    public FakeModeCall ToCall(DateTimeOffset at, int statusCode, string? runToken, string? state = null) => new(
        at, Method, Path, Workspace, Report, AuthOk, Authorization, Accept, ContentType, Body,
        (Json as JsonObject)?["parameters"]?.DeepClone() as JsonObject, statusCode, runToken, state, TraceParent);

    [GeneratedRegex("^/api/(?<workspace>[^/]+)/reports/(?<report>[^/]+)/runs(?:/(?<run>[^/]+))?/?$")]
    private static partial Regex RunsPath();
}
