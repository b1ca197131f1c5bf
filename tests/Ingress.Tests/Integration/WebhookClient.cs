using System.Net.Http.Headers;
using System.Text;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

internal static class WebhookClient
{
    public static Task<HttpResponseMessage> PostSignedAsync(this HttpClient client, string body, string key) =>
        client.PostWebhookAsync(Encoding.UTF8.GetBytes(body), DbtPayloads.Sign(body, key));

    /// <summary>A signed webhook whose sender can give up (as dbt does after 10 s).</summary>
    public static async Task<HttpResponseMessage> PostSignedCancellableAsync(this HttpClient client, string body, string key, CancellationToken giveUp)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/dbt") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", DbtPayloads.Sign(body, key));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(giveUp, TestContext.Current.CancellationToken);
        return await client.SendAsync(request, linked.Token);
    }

    public static async Task<HttpResponseMessage> PostWebhookAsync(this HttpClient client, byte[] body, string? signature,
        string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/dbt") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (signature is not null) request.Headers.TryAddWithoutValidation("Authorization", signature);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
