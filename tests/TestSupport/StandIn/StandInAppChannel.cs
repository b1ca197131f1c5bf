using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ModeRefresh.TestSupport;

/// <summary>HTTP to the app, as daprd's app channel does it: subscriptions in, CloudEvents out, answers read by Dapr's rules.</summary>
internal sealed class StandInAppChannel(Uri app, string? apiToken, TimeSpan attemptTimeout) : IDisposable
{
    private const string ApiTokenHeader = "dapr-api-token";

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
    })
    { BaseAddress = app, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The subscriptions, or null while the app does not answer 200 with a JSON list.</summary>
    public async Task<IReadOnlyList<StandInSubscription>?> TryGetSubscriptionsAsync(CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe");
            AddToken(request);
            using var response = await _http.SendAsync(request, ct);
            return response.StatusCode == HttpStatusCode.OK
                ? StandInSubscriptions.Parse(await response.Content.ReadAsStringAsync(ct))
                : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>POSTs the envelope to the route and classifies the answer.</summary>
    public async Task<(StandInAnswer Answer, int? Status)> DeliverAsync(string route, string cloudEvent, string? traceParent, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(attemptTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, route)
            {
                Content = new StringContent(cloudEvent, Encoding.UTF8),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(StandInCloudEvent.ContentType);
            AddToken(request);
            if (traceParent is not null)
            {
                request.Headers.TryAddWithoutValidation("traceparent", traceParent);
            }

            using var response = await _http.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            return (Classify(status, await response.Content.ReadAsStringAsync(timeout.Token)), status);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return (StandInAnswer.Unreachable, null);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Dapr's rules: 2xx + SUCCESS/none = done, RETRY or unknown = retry, DROP = drop; 404 = drop; other = retry.</summary>
    internal static StandInAnswer Classify(int status, string body)
    {
        if (status == 404) return StandInAnswer.NotFound;
        if (status is < 200 or > 299) return StandInAnswer.Failed;
        if (string.IsNullOrWhiteSpace(body)) return StandInAnswer.Success;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return StandInAnswer.Success;
            var statusText = doc.RootElement.EnumerateObject()
                .FirstOrDefault(p => string.Equals(p.Name, "status", StringComparison.OrdinalIgnoreCase)).Value;
            if (statusText.ValueKind != JsonValueKind.String) return StandInAnswer.Success;
            return statusText.GetString()!.ToUpperInvariant() switch
            {
                "" or "SUCCESS" => StandInAnswer.Success,
                "DROP" => StandInAnswer.Drop,
                _ => StandInAnswer.Retry,
            };
        }
        catch (JsonException)
        {
            // daprd skips the status check when the body is not JSON, and counts the delivery as done.
            return StandInAnswer.Success;
        }
    }

    private void AddToken(HttpRequestMessage request)
    {
        if (apiToken is not null)
        {
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, apiToken);
        }
    }
}
