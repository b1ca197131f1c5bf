using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class CredentialTests
{
    [Fact]
    public async Task Deliver_WrongCredentials_DropAfterOneCallAndNoSecretInLogs()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Mode.SetCredentials("other-token", "other-secret");

        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed()));

        // The 401 made the service re-read the secrets once; they had not changed, so no second call.
        var call = Assert.Single(app.Mode.Calls);
        Assert.Equal(401, call.StatusCode);
        Assert.True(app.Logs.Contains(LogLevel.Error, "Mode answered 401"));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Message.Contains(RefreshApp.Secret, StringComparison.Ordinal)
            || (l.Exception?.ToString().Contains(RefreshApp.Secret, StringComparison.Ordinal) ?? false));
    }

    [Fact]
    public async Task Deliver_CredentialsRotated_RereadsSecretsAndRetriesOnce()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_a", runId: "1")));

        app.Mode.SetCredentials("new-token", "new-secret");
        app.Sidecar.SetSecret("secretstore", "MODE_API_TOKEN", "new-token");
        app.Sidecar.SetSecret("secretstore", "MODE_API_SECRET", "new-secret");

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_b", runId: "2")));

        Assert.Equal([202, 401, 202], app.Mode.Calls.Select(c => c.StatusCode));
        Assert.Equal(RefreshApp.BasicHeader("new-token", "new-secret").ToString(), app.Mode.Calls[2].Authorization);
    }

    [Fact]
    public async Task Deliver_SecondUnauthorizedWithin30Seconds_DoesNotRereadSecrets()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Mode.SetCredentials("other-token", "other-secret");
        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_a", runId: "1")));
        var secretReads = app.Sidecar.Calls.Count(c => c.Method == "GetSecret");

        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed(eventId: "wev_b", runId: "2")));

        Assert.Equal(secretReads, app.Sidecar.Calls.Count(c => c.Method == "GetSecret"));
        Assert.Equal(2, app.Mode.Calls.Count);
    }

    [Fact]
    public async Task Deliver_SecretsCachedAcrossEvents_ReadOncePerSecret()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed(eventId: $"wev_{i}", runId: $"{i}")));
        }

        Assert.Equal(2, app.Sidecar.Calls.Count(c => c.Method == "GetSecret"));
    }
}
