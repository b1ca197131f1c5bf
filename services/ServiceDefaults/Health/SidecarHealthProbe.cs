using Microsoft.Extensions.Options;

namespace ModeRefresh.ServiceDefaults;

public enum SidecarHealth
{
    /// <summary><c>/v1.0/healthz</c> answered 2xx: daprd is up and has finished starting.</summary>
    Ready,

    /// <summary>The sidecar answers but says it is not ready (daprd answers 500 until it is).</summary>
    NotReady,

    /// <summary>Nothing listens at the address (the transport's reason in <see cref="SidecarHealthAnswer.Unreachable"/>).</summary>
    Unreachable,

    /// <summary>A connection, but no answer within the bound.</summary>
    NoAnswer,
}

/// <summary>
/// One look at the sidecar's own readiness. <paramref name="Address"/> is its HTTP address as configured (no trailing
/// slash), <paramref name="Reason"/> says what happened in words fit for <c>/readyz</c> and the log, and
/// <paramref name="Unreachable"/> is the transport's reason (e.g. <c>Connection refused</c>) when nothing answered.
/// </summary>
public sealed record SidecarHealthAnswer(SidecarHealth Health, string Address, string Reason, string? Unreachable = null);

/// <summary>
/// The sidecar readiness check both services make: <c>GET /v1.0/healthz</c> on daprd's HTTP port, which answers 500
/// (ERR_HEALTH_NOT_READY) until daprd is ready and 204 after (dapr/dapr v1.18.0 pkg/api/http/healthz.go). The
/// DAPR_API_TOKEN goes along whenever one is set, as the SDK's own CheckHealthAsync sends it. What each service does
/// with the answer (its reachability log, its other readiness checks) is its own.
/// </summary>
public sealed class SidecarHealthProbe(IOptions<SidecarEndpoints> endpoints) : IDisposable
{
    public const string HealthPath = "/v1.0/healthz";

    // The sidecar is local; a connect that takes longer than this is not going to work.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = ConnectTimeout })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Asks once, bounded by <paramref name="timeout"/>. Never throws but for the caller's cancellation.</summary>
    public async Task<SidecarHealthAnswer> CheckAsync(TimeSpan timeout, CancellationToken ct)
    {
        var e = endpoints.Value;
        var address = e.Http;
        var url = address + HealthPath;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url));
        if (!string.IsNullOrEmpty(e.ApiToken)) request.Headers.TryAddWithoutValidation("dapr-api-token", e.ApiToken);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bound.Token);
            return response.IsSuccessStatusCode
                ? new(SidecarHealth.Ready, address, "health endpoint answered")
                : new(SidecarHealth.NotReady, address, $"GET {url} answered {(int)response.StatusCode}");
        }
        catch (HttpRequestException ex) when (SidecarFailure.Unreachable(ex) is { } detail)
        {
            return new(SidecarHealth.Unreachable, address, $"GET {url} failed: {detail}", detail);
        }
        catch (HttpRequestException ex)
        {
            return new(SidecarHealth.NoAnswer, address, $"GET {url} failed: {ex.HttpRequestError}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(SidecarHealth.NoAnswer, address, $"GET {url} did not answer within {timeout.TotalSeconds:0.#} s");
        }
    }

    public void Dispose() => _http.Dispose();
}
