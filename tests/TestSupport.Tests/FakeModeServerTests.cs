using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ModeRefresh.TestSupport;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>The fake Mode server is shared test equipment: these pin down the checks other suites rely on.</summary>
public sealed class FakeModeServerTests : IAsyncLifetime
{
    private FakeModeServer _mode = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _mode = await FakeModeServer.StartAsync("tok", "sec");
        _http = new HttpClient { BaseAddress = new Uri(_mode.BaseUrl) };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _mode.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string path = "/api/acme/reports/r1/runs", string body = """{"parameters":{"a":1}}""",
        string token = "tok", string secret = "sec")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{token}:{secret}")));
        return _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Post_ValidRequest_AcceptedWithUniqueRunTokenAndSelfLink()
    {
        using var first = await PostAsync();
        using var second = await PostAsync();

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var run = JsonNode.Parse(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("enqueued", run["state"]!.GetValue<string>());
        var token = run["token"]!.GetValue<string>();
        Assert.Equal($"/api/acme/reports/r1/runs/{token}", run["_links"]!["self"]!["href"]!.GetValue<string>());
        Assert.Equal(2, _mode.Runs.Select(c => c.RunToken).Distinct().Count());
        Assert.Equal(1, _mode.Calls[0].Parameters!["a"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("/api/acme/reports/r1/run", "{\"parameters\":{}}", "tok", HttpStatusCode.NotFound)]
    [InlineData("/api/acme/reports/r1/runs", "{\"parameters\":{}}", "wrong", HttpStatusCode.Unauthorized)]
    [InlineData("/api/acme/reports/r1/runs", "{}", "tok", HttpStatusCode.BadRequest)]
    [InlineData("/api/acme/reports/r1/runs", "not json", "tok", HttpStatusCode.BadRequest)]
    public async Task Post_WhatModeRejects_ModesErrorShape(string path, string body, string token, HttpStatusCode expected)
    {
        using var response = await PostAsync(path, body, token);

        Assert.Equal(expected, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.False(string.IsNullOrEmpty(error["id"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        Assert.Empty(_mode.Runs);
    }

    [Fact]
    public async Task Post_UnknownReportWhenListSet_NotFound()
    {
        _mode.SetKnownReports("r2");

        using var response = await PostAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Enqueue_PerReportBeforeGlobal_ThenNormal()
    {
        _mode.Enqueue(FakeModeResponse.ServerError);
        _mode.Enqueue(FakeModeResponse.TooManyRequests(TimeSpan.FromSeconds(2)), report: "r1");

        using var first = await PostAsync();
        using var second = await PostAsync();
        using var third = await PostAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), first.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.InternalServerError, second.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, third.StatusCode);
        Assert.Equal([429, 500, 202], _mode.Calls.Select(c => c.StatusCode));
    }

    [Fact]
    public async Task StartOutage_UntilEnded_AnswersOutageStatus()
    {
        _mode.StartOutage(TimeSpan.FromMinutes(1));
        using var during = await PostAsync();
        _mode.EndOutage();
        using var after = await PostAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);
    }

    [Fact]
    public async Task Enqueue_Hang_NeverAnswersAndIsRecorded()
    {
        _mode.Enqueue(FakeModeResponse.Hang);
        using var cancel = new CancellationTokenSource();
        var post = _http.PostAsync("/api/acme/reports/r1/runs", new StringContent("{}"), cancel.Token);

        // Cancel only once the server has the call: a fixed 300 ms cancel raced the server on a loaded machine.
        await _mode.WaitForCallsAsync(c => c.Count == 1, TimeSpan.FromSeconds(10));
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(post.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => post);

        Assert.Equal(FakeModeCall.NoAnswer, Assert.Single(_mode.Calls).StatusCode);
    }
}
