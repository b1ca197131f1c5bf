using Microsoft.Extensions.Options;
using ModeRefresh.Ingress.Keys;
using ModeRefresh.Ingress.Publishing;
using ModeRefresh.Ingress.Sidecar;

namespace ModeRefresh.Ingress.Health;

/// <summary>
/// What <c>/readyz</c> reports: ready exactly when a webhook would not be refused for the sidecar's sake. That needs
/// the sidecar to be up (its <c>/v1.0/healthz</c>, which daprd answers 500 until it is ready), the publish channel the
/// webhooks use to be connected (not merely the sidecar's HTTP port answering: after a sidecar restart the channel can
/// lag behind it), and a webhook key. Every "no" comes with its reason.
/// </summary>
public sealed class ReadinessProbe(
    SidecarPublishApi publish, WebhookKeyStore keys, SidecarReachability reachability, IOptions<SidecarEndpoints> endpoints)
    : IDisposable
{
    private const string HealthPath = "/v1.0/healthz";
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(2);
    // The sidecar is local: a connection takes milliseconds, and probes (Kubernetes: 1 s by default) must not queue up.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = HealthTimeout })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<Readiness> CheckAsync(CancellationToken ct)
    {
        var health = CheckHealthAsync(ct);
        var channel = CheckChannelAsync(ct);
        // As a webhook would: with no key cached, this waits for the read under way (or starts one), bounded.
        var loaded = await keys.GetKeysAsync(ct);
        var (sidecar, sidecarProblem) = await health;
        var (publishing, publishingProblem) = await channel;
        var keyProblem = loaded.Count > 0 ? null : "no webhook key loaded: " + (keys.Problem ?? "not read yet");
        var reason = string.Join("; ", new[] { publishingProblem, sidecarProblem, keyProblem }.OfType<string>().Distinct(StringComparer.Ordinal));
        return new Readiness(sidecar, publishing, loaded.Count > 0, reason.Length == 0 ? null : reason);
    }

    private async Task<(bool Ok, string? Problem)> CheckHealthAsync(CancellationToken ct)
    {
        var e = endpoints.Value;
        var address = e.HttpAddress;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(HealthTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, HealthPath));
        // As the SDK's CheckHealthAsync: the token goes along whenever one is set.
        if (!string.IsNullOrEmpty(e.ApiToken)) request.Headers.TryAddWithoutValidation("dapr-api-token", e.ApiToken);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bound.Token);
            reachability.Reached(address);
            return response.IsSuccessStatusCode
                ? (true, null)
                : (false, $"the Dapr sidecar at {address} is not ready (GET {HealthPath} answered {(int)response.StatusCode})");
        }
        catch (HttpRequestException ex) when (SidecarFailure.Unreachable(ex) is { } detail)
        {
            reachability.Unreachable(address, "DAPR_HTTP_ENDPOINT", detail);
            return (false, reachability.ProblemAt(address));
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return (false, $"the Dapr sidecar at {address} did not answer GET {HealthPath} within {HealthTimeout.TotalSeconds:0} s");
        }
    }

    private async Task<(bool Ok, string? Problem)> CheckChannelAsync(CancellationToken ct)
    {
        var address = publish.Address;
        if (await publish.TryConnectAsync(ConnectTimeout, ct))
        {
            reachability.Reached(address);
            return (true, null);
        }

        var detail = await publish.ConnectionErrorAsync(ct);
        if (detail is not null || reachability.ProblemAt(address) is null)
        {
            reachability.Unreachable(address, "DAPR_GRPC_ENDPOINT", detail ?? $"no connection within {ConnectTimeout.TotalSeconds:0} s");
        }

        return (false, (reachability.ProblemAt(address) ?? $"the Dapr sidecar is not reachable at {address}") + " (publishing needs it)");
    }

    public void Dispose() => _http.Dispose();
}
