using System.Net;
using System.Text.Json.Nodes;

namespace ModeRefresh.EndToEnd.Tests.Harness;

/// <summary>
/// Refresh's operator endpoints called as an operator does through the sidecar: with the app token as
/// <c>dapr-api-token</c> (daprd's service invocation adds APP_API_TOKEN on its way to the app).
/// </summary>
internal static class Operator
{
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> CallAsync(EndToEndSystem system, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("dapr-api-token", EndToEndSystem.AppToken);
        using var response = await system.Refresh.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>
    /// <c>GET /history/{runId}</c> until <paramref name="until"/> holds for its body: Refresh writes the history in the
    /// background, so what a delivery noted appears shortly after its answer.
    /// </summary>
    public static async Task<JsonNode> HistoryRunAsync(EndToEndSystem system, string runId, Func<JsonNode, bool> until, TimeSpan? timeout = null)
    {
        JsonNode? last = null;
        await TestSupport.Eventually.UntilAsync(async () =>
        {
            var (status, body) = await CallAsync(system, HttpMethod.Get, $"/history/{Uri.EscapeDataString(runId)}");
            last = status == HttpStatusCode.OK ? body : null;
            return last is not null && until(last);
        }, $"GET /history/{runId} as expected", TestContext.Current.CancellationToken, timeout ?? ModeChecks.Patience,
            () => last?.ToJsonString() ?? "(not found)");
        return last!;
    }

    /// <summary>The entry of <paramref name="report"/> in one run of <c>GET /history</c>.</summary>
    public static JsonNode? HistoryReport(JsonNode run, string report) =>
        run["reports"]!.AsArray().SingleOrDefault(r => r!["report"]!.GetValue<string>() == report);

    /// <summary>A string field of a history entry, or null when absent.</summary>
    public static string? Field(JsonNode? entry, string name) => entry?[name]?.GetValue<string>();
}

internal static class LoopTopics
{
    /// <summary>Subscription:OutcomesTopic's default.</summary>
    public const string Outcomes = "mode-report-run-finished";
}
