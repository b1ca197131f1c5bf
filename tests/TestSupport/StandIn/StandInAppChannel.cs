using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ModeRefresh.TestSupport;

/// <summary>HTTP to the app, as daprd's app channel does it: subscriptions in, CloudEvents out, answers read by Dapr's rules.</summary>
internal sealed class StandInAppChannel(Uri app, string? apiToken, TimeSpan attemptTimeout) : IDisposable
{
    private const string ApiTokenHeader = "dapr-api-token";

    // daprd's DaprBuiltInInitializationRetries (dapr/dapr v1.18.0 pkg/resiliency/resiliency.go): exponential from
    // 500 ms, multiplier 1.5, at most 1 s apart, 3 retries. Its ±50 % jitter is left out: tests want a fixed schedule.
    private static readonly TimeSpan[] SubscribeRetryDelays =
        [TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(750), TimeSpan.FromSeconds(1)];

    // daprd's blockUntilAppIsReady (dapr/dapr v1.18.0 pkg/runtime/runtime.go): a TCP dial with a 500 ms timeout,
    // every 100 ms, until the app's port accepts a connection.
    private static readonly TimeSpan DialTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan DialInterval = TimeSpan.FromMilliseconds(100);

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
    })
    { BaseAddress = app, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Returns once the app's port accepts a TCP connection (nothing is sent), as daprd waits before it asks anything.</summary>
    public async Task WaitForPortAsync(CancellationToken ct)
    {
        while (true)
        {
            using var client = new TcpClient();
            using var dial = CancellationTokenSource.CreateLinkedTokenSource(ct);
            dial.CancelAfter(DialTimeout);
            try
            {
                await client.ConnectAsync(app.Host, app.Port, dial.Token);
                return;
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // Not listening yet.
            }

            await Task.Delay(DialInterval, ct);
        }
    }

    /// <summary>
    /// Asks <c>GET /dapr/subscribe</c> the way daprd does, once (dapr/dapr v1.18.0 pkg/runtime/pubsub/subscriptions.go,
    /// GetSubscriptionsHTTP, called once from pkg/runtime/processor/subscriber/subscriber.go): only a failed request
    /// (no HTTP answer) is retried, with the built-in initialization policy. Any HTTP answer is final: 200 with a JSON
    /// list gives the subscriptions, 404 gives none ("user app did not subscribe to any topic"), and any other status
    /// gives none either, with only an error line in daprd's log — never asked again.
    /// </summary>
    public async Task<StandInSubscribeResult> ReadSubscriptionsAsync(CancellationToken ct)
    {
        for (var retry = 0; ; retry++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(attemptTimeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe");
                AddToken(request);
                using var response = await _http.SendAsync(request, timeout.Token);
                var status = (int)response.StatusCode;
                if (status == 404)
                {
                    return new StandInSubscribeResult(status, [], null);
                }

                if (status != 200)
                {
                    return new StandInSubscribeResult(status, [], $"app returned http status code {status} from subscription endpoint");
                }

                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                try
                {
                    return new StandInSubscribeResult(status, StandInSubscriptions.Parse(body), null);
                }
                catch (JsonException ex)
                {
                    return new StandInSubscribeResult(status, [], $"error getting topics from app: {ex.Message}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException
                                       || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                if (retry >= SubscribeRetryDelays.Length)
                {
                    return new StandInSubscribeResult(null, [], $"error getting topic list from app: {ex.Message}");
                }

                await Task.Delay(SubscribeRetryDelays[retry], ct);
            }
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
            return (Classify(status, await response.Content.ReadAsByteArrayAsync(timeout.Token)), status);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return (StandInAnswer.Unreachable, null);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// daprd's rules (dapr/dapr v1.18.0 pkg/runtime/subscription/postman/http/http.go, Deliver): 404 = drop; any other
    /// non-2xx = retry. A 2xx body is decoded with Go's encoding/json into <c>{"status": ...}</c>
    /// (components-contrib v1.18.0 pubsub/responses.go): the property name matches in any case, as encoding/json
    /// matches field names; the value must be exactly <c>SUCCESS</c>, <c>RETRY</c> or <c>DROP</c> — a plain string
    /// switch, so <c>"success"</c> is an unknown status and is retried. An empty status is success; a body that is
    /// empty, not JSON, or not an object with a string status skips the check and counts as success.
    /// </summary>
    internal static StandInAnswer Classify(int status, string body) => Classify(status, Encoding.UTF8.GetBytes(body));

    internal static StandInAnswer Classify(int status, byte[] body)
    {
        if (status == 404) return StandInAnswer.NotFound;
        if (status is < 200 or > 299) return StandInAnswer.Failed;
        string? statusText;
        try
        {
            // json.Decoder.Decode reads the first JSON value and ignores whatever follows it.
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowMultipleValues = true });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Null) return StandInAnswer.Success;
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return StandInAnswer.Success;
            // encoding/json assigns every matching key in order, so the last one wins.
            var property = doc.RootElement.EnumerateObject()
                .LastOrDefault(p => string.Equals(p.Name, "status", StringComparison.OrdinalIgnoreCase)).Value;
            if (property.ValueKind is not (JsonValueKind.String or JsonValueKind.Null or JsonValueKind.Undefined))
            {
                return StandInAnswer.Success; // a type mismatch is a decode error: the status check is skipped
            }

            statusText = property.ValueKind == JsonValueKind.String ? property.GetString() : null;
        }
        catch (JsonException)
        {
            // daprd skips the status check when the body is not JSON (or empty), and counts the delivery as done.
            return StandInAnswer.Success;
        }

        return statusText switch
        {
            null or "" or "SUCCESS" => StandInAnswer.Success,
            "DROP" => StandInAnswer.Drop,
            _ => StandInAnswer.Retry, // RETRY, and any status daprd does not know, in any other spelling too
        };
    }

    private void AddToken(HttpRequestMessage request)
    {
        if (apiToken is not null)
        {
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, apiToken);
        }
    }
}

/// <summary>
/// What daprd made of the app's <c>GET /dapr/subscribe</c> answer, which it asks for once.
/// </summary>
/// <param name="HttpStatus">The app's status code, or null when it never answered (after daprd's few retries).</param>
/// <param name="Subscriptions">What daprd subscribed to: empty unless the app answered 200 with a readable list.</param>
/// <param name="Error">The error line daprd logs, or null (a 200 it could read, or a 404, which it logs at debug only).</param>
public sealed record StandInSubscribeResult(int? HttpStatus, IReadOnlyList<StandInSubscription> Subscriptions, string? Error);
