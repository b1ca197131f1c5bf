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
}

internal static class LoopTopics
{
    /// <summary>Subscription:OutcomesTopic's default.</summary>
    public const string Outcomes = "mode-report-run-finished";
}
