using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using ModeRefresh.TestSupport;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>
/// The fake Mode server's run status (<c>GET .../runs/{run}</c>): states over polls or time, the finished fields,
/// Mode's checks and errors, and the per-credential rate limit shared by starts and polls.
/// </summary>
public sealed class FakeModeRunStateTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
    private FakeModeServer _mode = null!;
    private HttpClient _http = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _mode = await FakeModeServer.StartAsync("tok", "sec", _clock);
        _http = new HttpClient { BaseAddress = new Uri(_mode.BaseUrl) };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _mode.DisposeAsync();
    }

    [Fact]
    public async Task Poll_DefaultScript_EnqueuedRunningThenSucceededWithCompletedAtAndWebLink()
    {
        var (token, started) = await StartAsync();

        var first = await PollAsync(token);
        _clock.Advance(TimeSpan.FromSeconds(15));
        var second = await PollAsync(token);
        var third = await PollAsync(token);

        Assert.Equal("enqueued", started["state"]!.GetValue<string>());
        Assert.Equal(("running_notebook", "succeeded", "succeeded"), (State(first), State(second), State(third)));
        Assert.Null(first["completed_at"]);
        Assert.Equal("2026-11-27T10:00:15.000Z", second["completed_at"]!.GetValue<string>());
        Assert.Equal(token, second["token"]!.GetValue<string>());
        Assert.Equal(1, second["parameters"]!["a"]!.GetValue<int>());
        Assert.Equal($"{_mode.BaseUrl}/acme/reports/r1/runs/{token}", second["_links"]!["web_external_url"]!["href"]!.GetValue<string>());
        Assert.Equal($"/api/acme/reports/r1/runs/{token}", second["_links"]!["self"]!["href"]!.GetValue<string>());
        Assert.Equal(["running_notebook", "succeeded", "succeeded"], _mode.Polls.Select(c => c.State));
        Assert.Single(_mode.Runs); // polls are not runs
        Assert.Equal((3, "succeeded", true), (_mode.FindRun(token)!.Polls, _mode.FindRun(token)!.State, _mode.FindRun(token)!.Finished));
    }

    [Theory]
    [InlineData("failed")]
    [InlineData("cancelled")]
    [InlineData("completed")]
    public async Task Poll_PerReportScript_EndsInItsStateOtherReportsKeepTheDefault(string final)
    {
        _mode.SetRunScript(FakeModeRunScript.PerPoll("pending", "enqueued", "running_notebook", final), report: "r1");
        var (r1, started) = await StartAsync("r1");
        var (r2, _) = await StartAsync("r2");

        var states = new List<string>();
        for (var i = 0; i < 4; i++) states.Add(State(await PollAsync(r1)));
        var other = await PollAsync(r2, "r2");

        Assert.Equal("pending", started["state"]!.GetValue<string>());
        Assert.Equal(["enqueued", "running_notebook", final, final], states);
        Assert.Equal("running_notebook", State(other));
    }

    [Fact]
    public async Task Poll_OverTimeScript_StateFollowsTheServersClock()
    {
        _mode.SetRunScript(FakeModeRunScript.OverTime(
            (TimeSpan.Zero, "enqueued"), (TimeSpan.FromSeconds(5), "running_notebook"), (TimeSpan.FromSeconds(40), "failed")));
        var (token, _) = await StartAsync();

        var atOnce = await PollAsync(token);
        var stillAtOnce = await PollAsync(token); // polling alone does not move a timed script
        _clock.Advance(TimeSpan.FromSeconds(5));
        var running = await PollAsync(token);
        _clock.Advance(TimeSpan.FromMinutes(10));
        var failed = await PollAsync(token);

        Assert.Equal(("enqueued", "enqueued", "running_notebook", "failed"), (State(atOnce), State(stillAtOnce), State(running), State(failed)));
        Assert.Null(running["completed_at"]);
        Assert.Equal("2026-11-27T10:00:40.000Z", failed["completed_at"]!.GetValue<string>());
        Assert.True(failed["report_has_failures_since_last_success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task EnqueueRunScript_NextRunOnly_ThenTheStandingScript()
    {
        _mode.EnqueueRunScript(FakeModeRunScript.EndingIn("failed") with { WebLink = false }, report: "r1");
        var (first, _) = await StartAsync();
        var (second, _) = await StartAsync();

        await PollAsync(first);
        var firstDone = await PollAsync(first);
        await PollAsync(second);
        var secondDone = await PollAsync(second);

        Assert.Equal(("failed", "succeeded"), (State(firstDone), State(secondDone)));
        Assert.Null(firstDone["_links"]!["web_external_url"]);
        Assert.NotNull(secondDone["_links"]!["web_external_url"]);
    }

    [Theory]
    [InlineData("/api/acme/reports/r1/runs/nope", "tok", HttpStatusCode.NotFound, "not_found")]
    [InlineData("/api/acme/reports/r2/runs/{token}", "tok", HttpStatusCode.NotFound, "not_found")] // a run of another report
    [InlineData("/api/other/reports/r1/runs/{token}", "tok", HttpStatusCode.NotFound, "not_found")] // of another workspace
    [InlineData("/api/acme/reports/r1/runs/{token}", "wrong", HttpStatusCode.Unauthorized, "unauthorized")]
    public async Task Poll_WhatModeRejects_ModesErrorShapeAndTheRunDoesNotMove(string path, string token, HttpStatusCode expected, string id)
    {
        var (run, _) = await StartAsync();

        using var response = await SendAsync(HttpMethod.Get, path.Replace("{token}", run, StringComparison.Ordinal), token: token);

        Assert.Equal(expected, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(id, error["id"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        Assert.Equal((0, "enqueued"), (_mode.FindRun(run)!.Polls, _mode.FindRun(run)!.State));
    }

    [Fact]
    public async Task Poll_PostToARun_MethodNotAllowed()
    {
        var (run, _) = await StartAsync();

        using var response = await SendAsync(HttpMethod.Post, $"/api/acme/reports/r1/runs/{run}", """{"parameters":{}}""");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Single(_mode.Runs);
    }

    [Fact]
    public async Task EnqueuePoll_ScriptedFault_AnswersPollsOnlyThenNormal()
    {
        _mode.EnqueuePoll(FakeModeResponse.ServerError);
        var (run, _) = await StartAsync(); // a start is not answered by a poll fault

        using var faulted = await SendAsync(HttpMethod.Get, $"/api/acme/reports/r1/runs/{run}");
        var next = await PollAsync(run);

        Assert.Equal(HttpStatusCode.InternalServerError, faulted.StatusCode);
        Assert.Equal("running_notebook", State(next));
        Assert.Equal([500, 200], _mode.Polls.Select(c => c.StatusCode));
    }

    [Fact]
    public async Task StartOutage_AnswersPollsToo()
    {
        var (run, _) = await StartAsync();
        _mode.StartOutage(TimeSpan.FromMinutes(1));

        using var during = await SendAsync(HttpMethod.Get, $"/api/acme/reports/r1/runs/{run}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
    }

    [Fact]
    public async Task SetRateLimit_StartsAndPollsShareOneWindowPerCredential()
    {
        _mode.SetRateLimit(requests: 3, window: TimeSpan.FromSeconds(10));
        var (run, _) = await StartAsync();
        await PollAsync(run);
        await PollAsync(run);

        using var limitedPoll = await SendAsync(HttpMethod.Get, $"/api/acme/reports/r1/runs/{run}");
        using var limitedStart = await SendAsync(HttpMethod.Post, "/api/acme/reports/r1/runs", """{"parameters":{}}""");
        _mode.SetCredentials("tok2", "sec2");
        using var otherCredential = await SendAsync(HttpMethod.Post, "/api/acme/reports/r1/runs", """{"parameters":{}}""", "tok2", "sec2");
        _mode.SetCredentials("tok", "sec");
        _clock.Advance(TimeSpan.FromSeconds(10));
        using var afterWindow = await SendAsync(HttpMethod.Get, $"/api/acme/reports/r1/runs/{run}");

        Assert.Equal((HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests), (limitedPoll.StatusCode, limitedStart.StatusCode));
        Assert.Equal("too_many_requests", JsonNode.Parse(await limitedPoll.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<string>());
        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.OK), (otherCredential.StatusCode, afterWindow.StatusCode));
        Assert.Equal(3, _mode.FindRun(run)!.Polls); // the refused poll is not an answered poll
    }

    [Fact]
    public async Task Post_RateLimitOff_NoLimitAsBefore()
    {
        for (var i = 0; i < 50; i++)
        {
            await StartAsync();
        }

        Assert.Equal(50, _mode.Runs.Count);
    }

    [Fact]
    public void RunScript_FinishedStateFollowed_Refused()
    {
        Assert.Throws<ArgumentException>(() => FakeModeRunScript.PerPoll("enqueued", "failed", "succeeded"));
        Assert.Throws<ArgumentException>(() => FakeModeRunScript.PerPoll("queued"));
        Assert.Throws<ArgumentException>(() => FakeModeRunScript.OverTime((TimeSpan.FromSeconds(1), "enqueued")));
    }

    private async Task<(string Token, JsonObject Run)> StartAsync(string report = "r1")
    {
        using var response = await SendAsync(HttpMethod.Post, $"/api/acme/reports/{report}/runs", """{"parameters":{"a":1}}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var run = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
        return (run["token"]!.GetValue<string>(), run);
    }

    private async Task<JsonObject> PollAsync(string token, string report = "r1")
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/acme/reports/{report}/runs/{token}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/hal+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, string token = "tok", string secret = "sec")
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{token}:{secret}")));
        request.Headers.Accept.ParseAdd("application/hal+json");
        return _http.SendAsync(request, Ct);
    }

    private static string State(JsonNode run) => run["state"]!.GetValue<string>();
}
