using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.RateLimiting;
using Polly.Timeout;

namespace ModeRefresh.Refresh.Mode;

/// <summary>
/// Starts Mode report runs: <c>POST {Mode:BaseUrl}/api/{workspace}/reports/{report}/runs</c>. Retries, timeouts and
/// rate limiting live in the "mode" resilience handler; this class turns what comes out of it into a
/// <see cref="ModeAnswer"/> and swaps credentials once after a 401 if they were rotated.
/// </summary>
public sealed class ModeClient(HttpClient http, ModeCredentialStore credentials, IOptions<ModeOptions> options)
{
    private static readonly MediaTypeWithQualityHeaderValue HalJson = new("application/hal+json");

    public async Task<ModeAnswer> RunReportAsync(ReportTarget target, CancellationToken ct)
    {
        ModeCredential credential;
        try
        {
            credential = await credentials.GetAsync(ct);
        }
        catch (ModeCredentialsUnavailableException ex)
        {
            return new ModeAnswer.Unavailable($"Mode credentials unavailable: {ex.Message}");
        }

        var result = await SendAsync(target, credential, ct);
        if (result is ModeAnswer.Refused { StatusCode: 401 })
        {
            ModeCredential? renewed;
            try
            {
                renewed = await credentials.RenewAfterUnauthorizedAsync(credential, ct);
            }
            catch (ModeCredentialsUnavailableException)
            {
                renewed = null; // keep Mode's 401 as the answer: it says more than the store's hiccup
            }

            if (renewed is not null)
            {
                result = await SendAsync(target, renewed, ct);
            }
        }

        return result;
    }

    /// <summary>
    /// <c>GET {Mode:BaseUrl}/api/{workspace}/reports/{report}/runs/{run}</c>: the run as it stands. Same handler as
    /// starting runs, so each poll waits its turn in the per-credential rate limiter and is retried like them.
    /// Null with a reason when Mode could not say (any failure: the caller polls again later).
    /// </summary>
    public async Task<(ModeReportRun? Run, string? Error)> GetRunAsync(string workspace, string report, string run, CancellationToken ct)
    {
        ModeCredential credential;
        try
        {
            credential = await credentials.GetAsync(ct);
        }
        catch (ModeCredentialsUnavailableException ex)
        {
            return (null, $"Mode credentials unavailable: {ex.Message}");
        }

        var path = $"api/{Uri.EscapeDataString(workspace)}/reports/{Uri.EscapeDataString(report)}/runs/{Uri.EscapeDataString(run)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = credential.Header;
        request.Headers.Accept.Add(HalJson);
        request.Options.Set(ModeAttempts.Key, new ModeAttempts());
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    await credentials.RenewAfterUnauthorizedAsync(credential, ct); // the next poll uses rotated ones
                }

                return (null, $"Mode answered {(int)response.StatusCode}");
            }

            return TryParse(body, ModeJsonContext.Default.ModeReportRun) is { State: not null } parsed
                ? (parsed, null)
                : (null, "Mode's answer had no run state");
        }
        catch (Exception ex) when (ex is TimeoutRejectedException or RateLimiterRejectedException or HttpRequestException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return (null, $"Mode status call failed ({ex.GetType().Name})");
        }
        catch (ModeCredentialsUnavailableException ex)
        {
            return (null, $"Mode credentials unavailable: {ex.Message}");
        }
    }

    private async Task<ModeAnswer> SendAsync(ReportTarget target, ModeCredential credential, CancellationToken ct)
    {
        var path = $"api/{Uri.EscapeDataString(target.Workspace)}/reports/{Uri.EscapeDataString(target.Report)}/runs";
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = credential.Header;
        request.Headers.Accept.Add(HalJson);
        request.Content = new StringContent($$"""{"parameters":{{target.ParametersJson}}}""", Encoding.UTF8);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var attempts = new ModeAttempts();
        request.Options.Set(ModeAttempts.Key, attempts);

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            return await InterpretAsync(response, ct);
        }
        catch (TimeoutRejectedException)
        {
            return new ModeAnswer.Unavailable(DescribeTimeout(attempts));
        }
        catch (RateLimiterRejectedException)
        {
            return new ModeAnswer.Unavailable("client-side Mode rate limiter rejected the call");
        }
        catch (HttpRequestException ex)
        {
            return new ModeAnswer.Unavailable($"Mode unreachable ({ex.HttpRequestError})");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ModeAnswer.Unavailable("Mode call timed out");
        }
    }

    /// <summary>
    /// Mode:TotalTimeout covers the waits for the client-side rate limiter too; when it ran out there, saying
    /// "Mode did not answer" would blame Mode for a call that was never made.
    /// </summary>
    private string DescribeTimeout(ModeAttempts attempts)
    {
        var value = options.Value;
        return attempts.Sent == 0
            ? $"not sent to Mode: waited Mode:TotalTimeout ({value.TotalTimeout}) for the client-side rate limiter " +
              $"(Mode:RequestsPerSecond {value.RequestsPerSecond}) without getting a turn"
            : attempts.WaitingForLimiter
                ? $"Mode:TotalTimeout ({value.TotalTimeout}) ran out after {attempts.Sent} attempt(s), while the next one waited for the client-side rate limiter"
                : "Mode did not answer in time";
    }

    private static async Task<ModeAnswer> InterpretAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode)
        {
            // Accepted means the run exists at Mode even if its body is odd: never treat that as a failure,
            // which would run the report again.
            return new ModeAnswer.Accepted(TryParse(body, ModeJsonContext.Default.ModeReportRun));
        }

        var message = TryParse(body, ModeJsonContext.Default.ModeError)?.Message ?? response.ReasonPhrase ?? "no message";
        if (message.Length > 500)
        {
            message = message[..500];
        }

        var reason = $"Mode answered {status}: {message}";
        return status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500
            ? new ModeAnswer.Unavailable(reason)
            : new ModeAnswer.Refused(status, reason);
    }

    private static T? TryParse<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return string.IsNullOrWhiteSpace(body) ? null : JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
