using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ModeRefresh.TestSupport;

/// <summary>
/// A fake Mode API on loopback, for tests only. It serves <c>POST /api/{workspace}/reports/{report}/runs</c> and
/// checks what Mode checks: the path, HTTP Basic credentials (401 otherwise), a JSON body with a
/// <c>parameters</c> object (400 otherwise) and, when a known-report list is set, the report (404 otherwise);
/// then it answers 202 with a Report Run (unique token, state "enqueued", <c>_links.self</c>). Errors use Mode's
/// shape <c>{"id": "...", "message": "..."}</c>. Faults are scripted with <see cref="Enqueue"/> and
/// <see cref="StartOutage"/>, and every request is recorded in <see cref="Calls"/>. Start one per test.
/// It also serves a run's status, <c>GET /api/{workspace}/reports/{report}/runs/{run}</c>, with the same checks: the
/// state moves as the run's <see cref="FakeModeRunScript"/> says (<see cref="SetRunScript"/>), an unknown run is 404,
/// faults for polls are scripted with <see cref="EnqueuePoll"/>, and <see cref="SetRateLimit"/> turns on Mode's
/// per-credential limit, counting starts and polls alike.
/// </summary>
public sealed class FakeModeServer : IAsyncDisposable
{
    private readonly WaitableList<FakeModeCall> _calls;
    private readonly FakeModeScript _script;
    private readonly TimeProvider _clock;
    private readonly FakeModeScript _pollScript;
    private readonly FakeModeRuns _runs = new();
    private LoopbackHost? _host;
    private volatile FakeModeRateLimit? _limit;
    private volatile FakeModeCredentials _credentials;
    private volatile IReadOnlySet<string>? _knownReports;

    private FakeModeServer(string token, string secret, TimeProvider clock)
    {
        _clock = clock;
        _credentials = new FakeModeCredentials(token, secret);
        _calls = new WaitableList<FakeModeCall>();
        _script = new FakeModeScript(clock);
        _pollScript = new FakeModeScript(clock);
    }

    /// <summary>Base URL without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>; use it as Mode:BaseUrl.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request so far, in arrival order (a copy).</summary>
    public IReadOnlyList<FakeModeCall> Calls => _calls.Snapshot();

    /// <summary>Calls that Mode accepted (202), i.e. report runs that were started.</summary>
    public IReadOnlyList<FakeModeCall> Runs => [.. Calls.Where(c => c.Accepted)];

    /// <summary>Status polls (<c>GET .../runs/{run}</c>) so far, whatever they were answered.</summary>
    public IReadOnlyList<FakeModeCall> Polls => [.. Calls.Where(c => c.IsPoll)];

    /// <summary>Every run started so far, as it stands now, oldest first.</summary>
    public IReadOnlyList<FakeModeRun> StartedRuns => _runs.Snapshot(_clock.GetUtcNow());

    public FakeModeRun? FindRun(string token) => StartedRuns.FirstOrDefault(r => r.Token == token);

    /// <summary>Starts a server that accepts Basic <paramref name="token"/>:<paramref name="secret"/>.</summary>
    public static Task<FakeModeServer> StartAsync(string token, string secret, CancellationToken ct = default) =>
        StartAsync(token, secret, TimeProvider.System, ct);

    /// <summary>Starts with a chosen clock, which stamps calls and times outage windows.</summary>
    public static async Task<FakeModeServer> StartAsync(string token, string secret, TimeProvider clock, CancellationToken ct = default)
    {
        var server = new FakeModeServer(token, secret, clock);
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

    /// <summary>Changes the accepted credentials (simulates a rotation at Mode).</summary>
    public void SetCredentials(string token, string secret) => _credentials = new FakeModeCredentials(token, secret);

    /// <summary>Restricts the reports that exist (others answer 404); null (the default) accepts any report.</summary>
    public void SetKnownReports(params string[]? reports) =>
        _knownReports = reports is null ? null : new HashSet<string>(reports, StringComparer.Ordinal);

    /// <summary>
    /// Scripts the next <paramref name="times"/> answers for <paramref name="report"/> (or for any report when null).
    /// A report's own queue is used before the global one; once both are empty, calls are answered normally.
    /// </summary>
    public void Enqueue(FakeModeResponse response, string? report = null, int times = 1) => _script.Enqueue(response, report, times);

    /// <summary>Answers every call with <paramref name="response"/> (default 503) for <paramref name="duration"/>.</summary>
    public void StartOutage(TimeSpan duration, FakeModeResponse? response = null) =>
        _script.StartOutage(duration, response ?? FakeModeResponse.Unavailable);

    public void EndOutage() => _script.EndOutage();

    /// <summary>
    /// Runs started from now on (of <paramref name="report"/>, or of any report without a script of its own) follow
    /// <paramref name="script"/>. Without one: <see cref="FakeModeRunScript.Default"/>.
    /// </summary>
    public void SetRunScript(FakeModeRunScript script, string? report = null) => _runs.Set(script, report);

    /// <summary>The next <paramref name="times"/> runs started (of <paramref name="report"/>, or of any) follow <paramref name="script"/>, before the standing one.</summary>
    public void EnqueueRunScript(FakeModeRunScript script, string? report = null, int times = 1) => _runs.Enqueue(script, report, times);

    /// <summary>
    /// Like <see cref="Enqueue"/>, for status polls: the next <paramref name="times"/> polls of <paramref name="report"/>
    /// (or of any) get <paramref name="response"/>. An outage (<see cref="StartOutage"/>) answers polls too.
    /// </summary>
    public void EnqueuePoll(FakeModeResponse response, string? report = null, int times = 1) => _pollScript.Enqueue(response, report, times);

    /// <summary>
    /// Mode's rate limit: each credential may make <paramref name="requests"/> requests (run starts and polls alike)
    /// in any <paramref name="window"/> (default 10 s) on the server's clock; more answer 429. Off by default.
    /// </summary>
    public void SetRateLimit(int requests = 40, TimeSpan? window = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requests);
        var span = window ?? TimeSpan.FromSeconds(10);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, nameof(window));
        _limit = new FakeModeRateLimit(requests, span);
    }

    public void ClearRateLimit() => _limit = null;

    /// <summary>Forgets scripted faults (of starts and polls), the outage and the recorded calls; started runs stay.</summary>
    public void Reset()
    {
        _script.Clear();
        _pollScript.Clear();
        _calls.Clear();
    }

    /// <summary>Waits until the recorded calls satisfy <paramref name="condition"/>; TimeoutException otherwise.</summary>
    public Task WaitForCallsAsync(Func<IReadOnlyList<FakeModeCall>, bool> condition, TimeSpan timeout) =>
        _calls.WaitAsync(condition, timeout, "The fake Mode server's calls");

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
        var request = await FakeModeRequest.ReadAsync(context.Request, _credentials, context.RequestAborted);
        FakeModeResponse response;
        FakeModeAnswer answer;
        if (request.IsRunPath)
        {
            response = _script.CurrentOutage() ?? _pollScript.Next(request.Report);
            answer = response.IsNormal
                ? FakeModeProtocol.CheckPoll(request, _knownReports, _limit, at, _runs, BaseUrl)
                : FakeModeProtocol.Scripted(response) with { RunToken = request.Run };
        }
        else
        {
            response = request.Report is null ? FakeModeResponse.Normal : _script.Next(request.Report);
            answer = response.IsNormal ? FakeModeProtocol.Check(request, _knownReports, _limit, at) : FakeModeProtocol.Scripted(response);
            if (answer is { RunToken: { } token, Body: { } run })
            {
                // Known before the 202 is written, so a poll right after it finds the run.
                run["state"] = _runs.Start(token, request.Workspace!, request.Report!, (JsonObject)run["parameters"]!, at);
            }
        }

        _calls.Add(request.ToCall(at, answer.StatusCode, answer.RunToken, answer.Body?["state"]?.GetValue<string>()));

        if (response.Hangs || response.Delay is not null)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _host!.Stopping);
            var wait = response.Hangs ? Timeout.InfiniteTimeSpan : response.Delay!.Value;
            await Task.Delay(wait, either.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            if (response.Hangs || either.IsCancellationRequested)
            {
                return;
            }
        }

        await answer.WriteAsync(context.Response);
    }
}
