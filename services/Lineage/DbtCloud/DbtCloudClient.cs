using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModeRefresh.Lineage.Artifacts;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace ModeRefresh.Lineage.DbtCloud;

/// <summary>
/// The dbt Cloud Admin API v2, as much as exposure-driven refresh needs: Retrieve Run with its steps, and a run's
/// artifacts (per step), streamed straight into <see cref="RunResultsReader"/> and <see cref="ManifestReader"/>.
/// Retries and timeouts live in the client's resilience handler; this class turns what comes out of it into a
/// <see cref="DbtCloudResult{T}"/>. The API token is passed in on every call (the caller reads it from its secret
/// store), sent as <c>Authorization: Token ...</c>, and never logged or put in a result's reason.
/// </summary>
public sealed partial class DbtCloudClient(
    HttpClient http, IOptions<DbtCloudOptions> options, TimeProvider clock, ILogger<DbtCloudClient> logger)
{
    private const long MaxRunBytes = 4 * 1024 * 1024;
    private const int MaxErrorBodyBytes = 4096;
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    /// <summary><c>GET {base}/api/v2/accounts/{accountId}/runs/{runId}/?include_related=["run_steps"]</c>.</summary>
    public Task<DbtCloudResult<DbtRun>> GetRunAsync(string accountId, string runId, string apiToken, CancellationToken ct) =>
        SendAsync(
            accountId, runId, apiToken,
            $"api/v2/accounts/{accountId}/runs/{runId}/?include_related=%5B%22run_steps%22%5D",
            $"run {runId}",
            (MaxRunBytes, "a run's description"),
            ReadRunAsync,
            ct);

    /// <summary>run_results.json of one step (<paramref name="step"/> null: dbt Cloud's default, the last step's).</summary>
    public Task<DbtCloudResult<RunResultsArtifact>> GetRunResultsAsync(string accountId, string runId, int? step, string apiToken, CancellationToken ct) =>
        SendAsync(
            accountId, runId, apiToken,
            ArtifactPath(accountId, runId, "run_results.json", step),
            Describe("run_results.json", runId, step),
            (options.Value.MaxRunResultsBytes, "DbtCloud:MaxRunResultsBytes"),
            RunResultsReader.ReadAsync,
            ct);

    /// <summary>manifest.json of one step, streamed to <see cref="ManifestReader"/> (never buffered whole).</summary>
    public Task<DbtCloudResult<ManifestGraph>> GetManifestAsync(string accountId, string runId, int? step, string apiToken, CancellationToken ct) =>
        SendAsync(
            accountId, runId, apiToken,
            ArtifactPath(accountId, runId, "manifest.json", step),
            Describe("manifest.json", runId, step),
            (options.Value.MaxManifestBytes, "DbtCloud:MaxManifestBytes"),
            ManifestReader.ReadAsync,
            ct);

    private static string ArtifactPath(string accountId, string runId, string file, int? step) =>
        $"api/v2/accounts/{accountId}/runs/{runId}/artifacts/{file}" + (step is { } s ? string.Create(CultureInfo.InvariantCulture, $"?step={s}") : "");

    private static string Describe(string file, string runId, int? step) =>
        step is { } s ? string.Create(CultureInfo.InvariantCulture, $"{file} of run {runId} step {s}") : $"{file} of run {runId}";

    private async Task<DbtCloudResult<T>> SendAsync<T>(
        string accountId, string runId, string apiToken, string path, string what, (long Bytes, string Setting) limit,
        Func<Stream, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        if (!IsId(accountId) || !IsId(runId))
        {
            // Ids from the webhook go into the path: digits only, so nothing else can be addressed.
            return new DbtCloudResult<T>.Permanent($"{(IsId(accountId) ? "the run id" : "the account id")} is not a dbt Cloud id (digits)");
        }

        var secret = options.Value.TokenSecretName;
        if (!IsTokenShaped(apiToken))
        {
            return new DbtCloudResult<T>.Permanent(
                $"the dbt Cloud API token in secret '{secret}' (DbtCloud:TokenSecretName) is empty or holds white space or control characters");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", apiToken);
        request.Headers.Accept.Add(Json);
        var started = clock.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (TimeoutRejectedException)
        {
            return new DbtCloudResult<T>.Transient($"dbt Cloud did not answer for {what} within DbtCloud:RequestTimeout");
        }
        catch (BrokenCircuitException)
        {
            return new DbtCloudResult<T>.Transient($"dbt Cloud calls are paused after repeated failures (circuit open) for {what}");
        }
        catch (RateLimiterRejectedException)
        {
            return new DbtCloudResult<T>.Transient($"client-side rate limiter rejected the call for {what}");
        }
        catch (HttpRequestException ex)
        {
            return new DbtCloudResult<T>.Transient($"dbt Cloud unreachable for {what} ({ex.HttpRequestError})");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new DbtCloudResult<T>.Transient($"dbt Cloud did not answer for {what} in time");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            LogAnswer(logger, what, status, (long)clock.GetElapsedTime(started).TotalMilliseconds);
            if (!response.IsSuccessStatusCode)
            {
                return await InterpretErrorAsync<T>(response, what, accountId, apiToken, ct);
            }

            if (response.Content.Headers.ContentLength is { } length && length > limit.Bytes)
            {
                return TooLarge<T>(what, limit);
            }

            using var deadline = new CancellationTokenSource(options.Value.DownloadTimeout, clock);
            using var download = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
            try
            {
                await using var body = new LimitedReadStream(await response.Content.ReadAsStreamAsync(download.Token), limit.Bytes);
                return new DbtCloudResult<T>.Ok(await read(body, download.Token));
            }
            catch (ArtifactTooLargeException)
            {
                return TooLarge<T>(what, limit);
            }
            catch (DbtArtifactFormatException ex)
            {
                return new DbtCloudResult<T>.Permanent($"{what}: {ex.Message}");
            }
            catch (JsonException)
            {
                return new DbtCloudResult<T>.Permanent($"dbt Cloud's answer for {what} is not the Admin API's JSON");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new DbtCloudResult<T>.Transient($"reading {what} took longer than DbtCloud:DownloadTimeout ({options.Value.DownloadTimeout})");
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                return new DbtCloudResult<T>.Transient($"the connection to dbt Cloud broke while reading {what}");
            }
        }
    }

    private async Task<DbtCloudResult<T>> InterpretErrorAsync<T>(
        HttpResponseMessage response, string what, string accountId, string apiToken, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var message = await ReadErrorMessageAsync(response, apiToken, ct);
        var secret = options.Value.TokenSecretName;
        return status switch
        {
            (int)HttpStatusCode.Unauthorized => new DbtCloudResult<T>.Permanent(
                $"dbt Cloud refused the API token in secret '{secret}' (DbtCloud:TokenSecretName) for {what}: 401{message}. "
                + "Check that the token is current and belongs to the account at DbtCloud:BaseUrl"),
            (int)HttpStatusCode.Forbidden => new DbtCloudResult<T>.Permanent(
                $"the API token in secret '{secret}' (DbtCloud:TokenSecretName) may not read {what} of account {accountId}: 403{message}. "
                + "It needs read access to the account's runs (for example a service token with the Job Viewer permission set)"),
            (int)HttpStatusCode.NotFound => new DbtCloudResult<T>.NotFound($"{what}: 404{message}"),
            (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500 =>
                new DbtCloudResult<T>.Transient($"dbt Cloud answered {status} for {what}{RetryAfter(response)}{message}"),
            _ => new DbtCloudResult<T>.Permanent($"dbt Cloud answered {status} for {what}{message}"),
        };
    }

    /// <summary>dbt Cloud's <c>status.user_message</c> (bounded, one line), as ": text"; empty when there is none.</summary>
    private static async Task<string> ReadErrorMessageAsync(HttpResponseMessage response, string apiToken, CancellationToken ct)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[MaxErrorBodyBytes];
            var filled = 0;
            int n;
            while (filled < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(filled), ct)) > 0)
            {
                filled += n;
            }

            var envelope = JsonSerializer.Deserialize(buffer.AsSpan(0, filled), DbtCloudJsonContext.Default.ErrorEnvelope);
            var text = envelope?.Status?.UserMessage;
            if (string.IsNullOrWhiteSpace(text))
            {
                return "";
            }

            var clean = new StringBuilder(Math.Min(text.Length, 200));
            foreach (var c in text.AsSpan(0, Math.Min(text.Length, 200)))
            {
                clean.Append(char.IsControl(c) ? ' ' : c);
            }

            // Never let an echoed credential through, whatever the server put in its message.
            return ": " + clean.ToString().Replace(apiToken, "[redacted]", StringComparison.Ordinal).Trim();
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException or OperationCanceledException)
        {
            return "";
        }
    }

    private static string RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta
            ? string.Create(CultureInfo.InvariantCulture, $" (Retry-After {delta.TotalSeconds:0} s)")
            : "";

    private static DbtCloudResult<T> TooLarge<T>(string what, (long Bytes, string Setting) limit) =>
        new DbtCloudResult<T>.Permanent(string.Create(CultureInfo.InvariantCulture, $"{what} is larger than {limit.Bytes} bytes ({limit.Setting})"));

    private static async Task<DbtRun> ReadRunAsync(Stream body, CancellationToken ct)
    {
        var envelope = await JsonSerializer.DeserializeAsync(body, DbtCloudJsonContext.Default.RunEnvelope, ct);
        var data = envelope?.Data ?? throw new JsonException("no data");
        var steps = (data.RunSteps ?? []).Select(s => new DbtRunStep(s.Index, s.Name, s.Status)).OrderBy(s => s.Index).ToArray();
        return new DbtRun(data.Id, data.Status, data.IsComplete, data.ArtifactsSaved, steps);
    }

    private static bool IsId(string? value) => value is { Length: > 0 and <= 20 } && value.AsSpan().ContainsAnyExcept("0123456789") is false;

    private static bool IsTokenShaped(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        foreach (var c in token)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "dbt Cloud answered {StatusCode} for {What} in {ElapsedMs} ms")]
    private static partial void LogAnswer(ILogger logger, string what, int statusCode, long elapsedMs);
}
