using System.Net;
using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class AuthTests
{
    private const string AppToken = "app-token-123";

    private static Task<RefreshApp> StartProtectedAsync() => RefreshApp.StartAsync(RefreshApp.Merge(
        RefreshApp.Report(0, "r1", "123"), new Dictionary<string, string?> { ["APP_API_TOKEN"] = AppToken }));

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    [InlineData("")]
    public async Task Deliver_TokenSetButHeaderMissingOrWrong_Unauthorized(string? header)
    {
        await using var app = await StartProtectedAsync();

        using var response = await app.PostEnvelopeAsync(DbtEvents.Envelope(DbtEvents.Completed(), "ce-1"), apiToken: header);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(app.Mode.Calls);
    }

    [Fact]
    public async Task Deliver_TokenSetAndHeaderMatches_Processed()
    {
        await using var app = await StartProtectedAsync();

        using var response = await app.PostEnvelopeAsync(DbtEvents.Envelope(DbtEvents.Completed(), "ce-1"), apiToken: AppToken);

        Assert.Equal("SUCCESS", await RefreshApp.AnswerOf(response));
        Assert.Single(app.Mode.Runs);
        Assert.True(app.Logs.Contains(LogLevel.Information, "APP_API_TOKEN is set"));
    }

    [Theory]
    [InlineData("/dapr/subscribe")]
    [InlineData("/deadletters")]
    public async Task Get_TokenSet_UnauthorizedWithoutHeaderOkWithIt(string path)
    {
        await using var app = await StartProtectedAsync();

        using var without = await app.Client.GetAsync(path, TestContext.Current.CancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("dapr-api-token", AppToken);
        using var with = await app.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }

    [Fact]
    public async Task DeadLetterRoute_TokenSetHeaderMissing_Unauthorized()
    {
        await using var app = await StartProtectedAsync();

        using var response = await app.PostEnvelopeAsync(DbtEvents.Envelope(DbtEvents.Completed(), "ce-1"), RefreshApp.DeadLetterRoute);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Health_TokenSet_OpenWithoutHeader(string path)
    {
        await using var app = await StartProtectedAsync();

        using var response = await app.Client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Start_NoToken_WarnsEndpointsAreUnauthenticatedAndServes()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.True(app.Logs.Contains(LogLevel.Warning, "APP_API_TOKEN is not set"));
    }

    [Theory]
    [InlineData(null, "has no dapr-api-token header")]
    [InlineData("wrong-token", "does not match this app's APP_API_TOKEN")]
    public async Task Subscribe_TokenSetAndDaprdSendsNoneOrAnother_ErrorSaysNoEventsWillBeDelivered(string? header, string why)
    {
        await using var app = await StartProtectedAsync();

        using var response = await GetAsync(app, "/dapr/subscribe", header);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = Assert.Single(app.Logs.Lines, l => l.Level == LogLevel.Error);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("NO EVENTS WILL BE DELIVERED", error.Message, StringComparison.Ordinal);
        Assert.Contains("APP_API_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AppToken, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_RefusedManyTimes_OneErrorPerInterval()
    {
        await using var app = await StartProtectedAsync();

        for (var i = 0; i < 20; i++)
        {
            using var response = await GetAsync(app, "/dapr/subscribe", null);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Single(app.Logs.Lines, l => l.Level == LogLevel.Error);
    }

    [Fact]
    public async Task Subscribe_DaprdSendsTokenButAppHasNone_ServedAndWarnsOnce()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        using var first = await GetAsync(app, "/dapr/subscribe", "daprd-only-token");
        using var second = await GetAsync(app, "/dapr/subscribe", "daprd-only-token");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var warning = Assert.Single(app.Logs.Lines, l => l.Message.Contains("carries a dapr-api-token header", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("APP_API_TOKEN is not set for this app", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("daprd-only-token", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_TokensMatch_NoErrorOrWarning()
    {
        await using var app = await StartProtectedAsync();

        using var response = await GetAsync(app, "/dapr/subscribe", AppToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Probes_TokenSet_WriteNoLogLinePerCall()
    {
        await using var app = await StartProtectedAsync();
        using (var warmUp = await app.Client.GetAsync("/readyz", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var before = app.Logs.Lines.Count;
        for (var i = 0; i < 10; i++)
        {
            using var healthz = await app.Client.GetAsync("/healthz", TestContext.Current.CancellationToken);
            using var readyz = await app.Client.GetAsync("/readyz", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
            Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        }

        var written = app.Logs.Lines.Skip(before).Where(l => l.Level >= LogLevel.Information).ToList();
        Assert.True(written.Count == 0, string.Join("\n", written.Select(l => $"{l.Level} {l.Category}: {l.Message}")));
    }

    private static async Task<HttpResponseMessage> GetAsync(RefreshApp app, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }

        return await app.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
