using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests;

/// <summary>The fake dbt Cloud checks what dbt Cloud checks, so the client's tests mean something.</summary>
public sealed class FakeDbtCloudServerTests
{
    private const string Token = "dbtc_fake";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> Get(FakeDbtCloudServer dbt, string path, string? scheme = "Token", string token = Token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(dbt.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (scheme is not null) request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        using var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static async Task<FakeDbtCloudServer> Start()
    {
        var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(AcmeProject.Scenario("full-build"));
        return dbt;
    }

    [Theory]
    [InlineData("Token")]
    [InlineData("Bearer")]
    public async Task Run_EitherScheme_ServesTheRunWithStepsWhenAsked(string scheme)
    {
        await using var dbt = await Start();

        var (status, body) = await Get(dbt, "/api/v2/accounts/43786/runs/70001/?include_related=[\"run_steps\"]", scheme);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(10, body!["data"]!["status"]!.GetValue<int>());
        Assert.Equal(5, body["data"]!["run_steps"]!.AsArray().Count);
        Assert.True(body["status"]!["is_success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Run_WithoutIncludeRelated_HasNoSteps()
    {
        await using var dbt = await Start();

        var (_, body) = await Get(dbt, "/api/v2/accounts/43786/runs/70001/");

        Assert.Null(body!["data"]!["run_steps"]);
    }

    [Theory]
    [InlineData(null, "x")]
    [InlineData("Token", "wrong")]
    [InlineData("Basic", Token)]
    public async Task AnyPath_BadAuthorization_401Enveloped(string? scheme, string token)
    {
        await using var dbt = await Start();

        var (status, body) = await Get(dbt, "/api/v2/accounts/43786/runs/70001/artifacts/manifest.json", scheme, token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Null(body!["data"]);
        Assert.Equal((401, false), (body["status"]!["code"]!.GetValue<int>(), body["status"]!["is_success"]!.GetValue<bool>()));
        Assert.False(string.IsNullOrEmpty(body["status"]!["user_message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Artifacts_ByStep_DefaultIsTheLastStepThatHasOne()
    {
        await using var dbt = await Start();

        var step4 = await Get(dbt, "/api/v2/accounts/43786/runs/70001/artifacts/run_results.json?step=4");
        var byDefault = await Get(dbt, "/api/v2/accounts/43786/runs/70001/artifacts/run_results.json");
        var step2 = await Get(dbt, "/api/v2/accounts/43786/runs/70001/artifacts/run_results.json?step=2");
        var badStep = await Get(dbt, "/api/v2/accounts/43786/runs/70001/artifacts/run_results.json?step=four");

        Assert.Equal("build", step4.Body!["args"]!["which"]!.GetValue<string>());
        Assert.Equal("generate", byDefault.Body!["args"]!["which"]!.GetValue<string>()); // the docs step: the trap
        Assert.Equal((HttpStatusCode.NotFound, 404), (step2.Status, step2.Body!["status"]!["code"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.BadRequest, badStep.Status);
    }

    [Theory]
    [InlineData("/api/v2/accounts/1/runs/70001/", HttpStatusCode.Forbidden)]
    [InlineData("/api/v2/accounts/43786/runs/1/", HttpStatusCode.NotFound)]
    [InlineData("/api/v3/accounts/43786/runs/70001/", HttpStatusCode.NotFound)]
    [InlineData("/api/v2/accounts/43786/runs/70001/artifacts/", HttpStatusCode.NotFound)]
    public async Task WrongPath_AnswersAsDbtCloud(string path, HttpStatusCode expected)
    {
        await using var dbt = await Start();

        var (status, _) = await Get(dbt, path);

        Assert.Equal(expected, status);
        Assert.Equal((int)expected, Assert.Single(dbt.Calls).StatusCode);
    }
}
