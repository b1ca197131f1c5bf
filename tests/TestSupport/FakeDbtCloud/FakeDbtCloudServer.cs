using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ModeRefresh.TestSupport;

/// <summary>
/// A fake dbt Cloud Admin API v2 on loopback, for tests only. It serves Retrieve Run
/// (<c>GET /api/v2/accounts/{account}/runs/{run}/</c>, with <c>run_steps</c> only when
/// <c>include_related=["run_steps"]</c> asks for them) and run artifacts
/// (<c>GET .../runs/{run}/artifacts/{path}[?step=N]</c>: step N's file; without <c>step</c> the last step's that has
/// one; 404 where there is none), and checks what dbt Cloud checks: the path shape, <c>Authorization: Token</c> or
/// <c>Bearer</c> with the configured token (401 otherwise), the token's account (403 for another), known runs (404).
/// Errors use dbt Cloud's envelope. Faults are scripted per call kind with <see cref="Enqueue"/>; every request is
/// recorded in <see cref="Calls"/>. Facts: ../shared/dbt-cloud/artifacts/README.md ("Admin API facts"). Start one per test.
/// </summary>
public sealed partial class FakeDbtCloudServer : IAsyncDisposable
{
    private readonly WaitableList<FakeDbtCloudCall> _calls = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<(long, long), FakeDbtRun> _runs = [];
    private readonly Dictionary<FakeDbtCloudTarget, Queue<FakeDbtCloudResponse>> _script = [];
    private readonly Queue<FakeDbtCloudResponse> _anyScript = new();
    private readonly TimeProvider _clock;
    private readonly long _accountId;
    private volatile string _token;
    private LoopbackHost? _host;

    private FakeDbtCloudServer(string token, long accountId, TimeProvider clock)
    {
        _token = token;
        _accountId = accountId;
        _clock = clock;
    }

    /// <summary>Base URL without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>; use it as DbtCloud:BaseUrl.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request so far, in arrival order (a copy).</summary>
    public IReadOnlyList<FakeDbtCloudCall> Calls => _calls.Snapshot();

    /// <summary>Starts a server whose one valid token is <paramref name="token"/>, for account <paramref name="accountId"/>.</summary>
    public static async Task<FakeDbtCloudServer> StartAsync(string token, long accountId, CancellationToken ct = default)
    {
        var server = new FakeDbtCloudServer(token, accountId, TimeProvider.System);
        try
        {
            await server.StartHostAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds (or replaces) a run; its account must be the token's for requests to pass the 403 check.</summary>
    public void AddRun(FakeDbtRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_gate)
        {
            _runs[(run.AccountId, run.RunId)] = run;
        }
    }

    /// <summary>Changes the valid token (a rotation at dbt Cloud).</summary>
    public void SetToken(string token) => _token = token;

    /// <summary>
    /// Scripts the next <paramref name="times"/> answers for calls of kind <paramref name="target"/> (any kind when
    /// null). A kind's own queue is used before the global one; once both are empty, calls are answered normally.
    /// </summary>
    public void Enqueue(FakeDbtCloudResponse response, FakeDbtCloudTarget? target = null, int times = 1)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            var queue = target is { } t ? (_script.TryGetValue(t, out var q) ? q : _script[t] = new()) : _anyScript;
            for (var i = 0; i < times; i++) queue.Enqueue(response);
        }
    }

    public void ResetCalls() => _calls.Clear();

    public Task WaitForCallsAsync(Func<IReadOnlyList<FakeDbtCloudCall>, bool> condition, TimeSpan timeout) =>
        _calls.WaitAsync(condition, timeout, "The fake dbt Cloud's calls");

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync(); // releases hanging calls first (LoopbackHost.Stopping)
        }
    }

    private async Task StartHostAsync(CancellationToken ct)
    {
        _host = await LoopbackHost.StartAsync(HandleAsync, ct);
        BaseUrl = _host.BaseUrl;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var at = _clock.GetUtcNow();
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var authorization = request.Headers.Authorization.ToString();
        var (scheme, authOk) = CheckAuthorization(authorization);
        var run = RunPath().Match(path);
        var artifact = ArtifactPath().Match(path);
        var match = run.Success ? run : artifact;
        var target = run.Success ? FakeDbtCloudTarget.Run
            : !artifact.Success ? FakeDbtCloudTarget.Unknown
            : artifact.Groups["path"].Value switch
            {
                "manifest.json" => FakeDbtCloudTarget.Manifest,
                "run_results.json" => FakeDbtCloudTarget.RunResults,
                _ => FakeDbtCloudTarget.OtherArtifact,
            };
        long? account = match.Success ? long.Parse(match.Groups["account"].Value, CultureInfo.InvariantCulture) : null;
        long? runId = match.Success ? long.Parse(match.Groups["run"].Value, CultureInfo.InvariantCulture) : null;
        var stepText = request.Query["step"].ToString();
        int? step = int.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;

        var scripted = Next(target);
        var answer = scripted.AnswersNormally
            ? Check(request, target, account, runId, stepText, step, authOk, artifact.Groups["path"].Value)
            : Answer.Error(scripted.StatusCode, scripted.Message ?? $"Scripted status {scripted.StatusCode}", scripted.RetryAfter);
        _calls.Add(new FakeDbtCloudCall(
            at, request.Method, path, request.QueryString.Value ?? "", target, account, runId, step,
            authorization.Length == 0 ? null : authorization, scheme, authOk, scripted.Hangs ? FakeDbtCloudCall.NoAnswer : answer.StatusCode));

        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _host!.Stopping);
        if (scripted.Hangs || scripted.Delay is not null)
        {
            await Task.Delay(scripted.Hangs ? Timeout.InfiniteTimeSpan : scripted.Delay!.Value, either.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            if (scripted.Hangs || either.IsCancellationRequested)
            {
                return;
            }
        }

        await answer.WriteAsync(context.Response, scripted.BodyDelay, either.Token);
    }

    private Answer Check(HttpRequest request, FakeDbtCloudTarget target, long? account, long? runId, string stepText, int? step, bool authOk, string file)
    {
        if (target == FakeDbtCloudTarget.Unknown)
        {
            return Answer.Error(404, "Not found.");
        }

        if (!HttpMethods.IsGet(request.Method))
        {
            return Answer.Error(405, "Method not allowed.");
        }

        if (!authOk)
        {
            return Answer.Error(401, "Invalid token.");
        }

        if (account != _accountId)
        {
            return Answer.Error(403, "You do not have permission to access this account.");
        }

        FakeDbtRun? known;
        lock (_gate)
        {
            _runs.TryGetValue((account!.Value, runId!.Value), out known);
        }

        if (known is null)
        {
            return Answer.Error(404, "The requested run was not found.");
        }

        if (target == FakeDbtCloudTarget.Run)
        {
            var withSteps = !known.HideSteps && request.Query["include_related"].ToString().Contains("run_steps", StringComparison.Ordinal);
            return Answer.Json(200, RunBody(known, withSteps));
        }

        if (stepText.Length > 0 && step is null)
        {
            return Answer.Error(400, "step must be an integer.");
        }

        Func<FakeDbtStep, FakeArtifact?> pick = target switch
        {
            FakeDbtCloudTarget.Manifest => st => st.Manifest,
            FakeDbtCloudTarget.RunResults => st => st.RunResults,
            _ => _ => null,
        };
        var served = step is { } index
            ? known.Steps.Where(st => st.Index == index).Select(pick).FirstOrDefault()
            : known.Steps.OrderByDescending(st => st.Index).Select(pick).FirstOrDefault(a => a is not null);
        return served is null ? Answer.Error(404, $"The requested artifact {file} was not found.") : Answer.File(served);
    }

    private static JsonObject RunBody(FakeDbtRun run, bool withSteps)
    {
        var data = new JsonObject
        {
            ["id"] = run.RunId,
            ["account_id"] = run.AccountId,
            ["status"] = run.Status,
            ["is_complete"] = run.IsComplete,
            ["is_success"] = run.Status == 10,
            ["is_error"] = run.Status == 20,
            ["artifacts_saved"] = run.ArtifactsSaved,
        };
        if (withSteps)
        {
            data["run_steps"] = new JsonArray([.. run.Steps.Select(st => (JsonNode)new JsonObject
            {
                ["run_id"] = run.RunId,
                ["account_id"] = run.AccountId,
                ["index"] = st.Index,
                ["name"] = st.Name,
                ["status"] = st.Status,
            })]);
        }

        return new JsonObject { ["status"] = Status(200, "Success!"), ["data"] = data };
    }

    private static JsonObject Status(int code, string message) => new()
    {
        ["code"] = code,
        ["is_success"] = code is >= 200 and < 300,
        ["user_message"] = message,
        ["developer_message"] = "",
    };

    private FakeDbtCloudResponse Next(FakeDbtCloudTarget target)
    {
        lock (_gate)
        {
            if (_script.TryGetValue(target, out var queue) && queue.TryDequeue(out var scripted))
            {
                return scripted;
            }

            return _anyScript.TryDequeue(out var any) ? any : FakeDbtCloudResponse.Normal;
        }
    }

    /// <summary>Constant-time, like a real server should be; either scheme dbt Cloud accepts.</summary>
    private (string? Scheme, bool Ok) CheckAuthorization(string authorization)
    {
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header) || header.Parameter is null)
        {
            return (null, false);
        }

        var scheme = header.Scheme;
        var known = scheme.Equals("Token", StringComparison.OrdinalIgnoreCase) || scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
        return (scheme, known && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header.Parameter), Encoding.UTF8.GetBytes(_token)));
    }

    [GeneratedRegex("^/api/v2/accounts/(?<account>[0-9]+)/runs/(?<run>[0-9]+)/?$")]
    private static partial Regex RunPath();

    [GeneratedRegex("^/api/v2/accounts/(?<account>[0-9]+)/runs/(?<run>[0-9]+)/artifacts/(?<path>[A-Za-z0-9_./-]+)$")]
    private static partial Regex ArtifactPath();

    private sealed record Answer(int StatusCode, JsonObject? Body, FakeArtifact? Artifact, TimeSpan? RetryAfter)
    {
        public static Answer Json(int status, JsonObject body) => new(status, body, null, null);

        public static Answer File(FakeArtifact artifact) => new(200, null, artifact, null);

        public static Answer Error(int status, string message, TimeSpan? retryAfter = null) =>
            new(status, new JsonObject { ["data"] = null, ["status"] = FakeDbtCloudServer.Status(status, message) }, null, retryAfter);

        public async Task WriteAsync(HttpResponse response, TimeSpan? bodyDelay, CancellationToken ct)
        {
            response.StatusCode = StatusCode;
            if (RetryAfter is { } retryAfter)
            {
                response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            response.ContentType = "application/json";
            await using var body = Artifact?.Open() ?? new MemoryStream(Encoding.UTF8.GetBytes(Body!.ToJsonString(JsonSerializerOptions.Default)));
            response.ContentLength = body.Length;
            try
            {
                if (bodyDelay is { } stall)
                {
                    var head = new byte[Math.Min(16, (int)body.Length)];
                    var read = await body.ReadAsync(head, ct);
                    await response.Body.WriteAsync(head.AsMemory(0, read), ct);
                    await response.Body.FlushAsync(ct);
                    await Task.Delay(stall, ct);
                }

                await body.CopyToAsync(response.Body, ct);
            }
            catch (OperationCanceledException)
            {
                // The client went away (or the server is stopping): nothing left to answer.
            }
            catch (IOException)
            {
            }
        }
    }
}
