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
}
