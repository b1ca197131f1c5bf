using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class ModeFailureTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Deliver_TooManyRequestsThenAccepted_OneRunAndSuccess(int retryAfterSeconds)
    {
        int? retryAfter = retryAfterSeconds == 0 ? null : retryAfterSeconds; // 0: no Retry-After header, as Mode documents
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Mode.Enqueue(FakeModeResponse.TooManyRequests(retryAfter is null ? null : TimeSpan.FromSeconds(retryAfter.Value)));

        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Equal([429, 202], app.Mode.Calls.Select(c => c.StatusCode));
        Assert.Single(app.Mode.Runs);
        if (retryAfter is { } seconds)
        {
            // Retry-After wins over the 50 ms test backoff.
            var gap = app.Mode.Calls[1].At - app.Mode.Calls[0].At;
            Assert.True(gap >= TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(50), $"retried after {gap}");
        }
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(408)]
    public async Task Deliver_PersistentTransientStatus_RetriesThenAnswersRetryAndReleasesRecord(int status)
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Mode.StartOutage(TimeSpan.FromMinutes(5), FakeModeResponse.Status(status));

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Equal(3, app.Mode.Calls.Count); // first attempt + Mode:MaxRetryAttempts (2)
        Assert.Null(app.Record("r1"));

        app.Mode.EndOutage();
        Assert.Equal("SUCCESS", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Single(app.Mode.Runs);
    }

    [Fact]
    public async Task Deliver_ModeHangs_AttemptTimeoutsThenRetry()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?> { ["Mode:AttemptTimeout"] = "00:00:00.300", ["Mode:MaxRetryAttempts"] = "1" }));
        app.Mode.Enqueue(FakeModeResponse.Hang, times: 2);

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Equal(2, app.Mode.Calls.Count);
        Assert.Empty(app.Mode.Runs);
    }

    [Fact]
    public async Task Deliver_ModeUnreachable_Retry()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?> { ["Mode:BaseUrl"] = "http://127.0.0.1:9" }));

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Null(app.Record("r1"));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    public async Task Deliver_PermanentStatus_DropWithoutRetryAndRecordFailed(int status)
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Mode.Enqueue(FakeModeResponse.Status(status, $"scripted {status} message"));

        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Single(app.Mode.Calls);
        Assert.Equal("failed", app.Record("r1")!["status"]!.GetValue<string>());
        Assert.True(app.Logs.Contains(LogLevel.Error, $"Mode answered {status}: scripted {status} message"));
        Assert.True(app.Logs.Contains(LogLevel.Error, "acme/r1"));

        // A redelivery (or dbt's own retry) does not call Mode again.
        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Single(app.Mode.Calls);
    }

    [Fact]
    public async Task Deliver_UnknownReport_DropWithModesMessage()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), RefreshApp.Report(1, "gone", "123")));
        app.Mode.SetKnownReports("r1");

        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Equal(1, app.Mode.Runs.Count(c => c.Report == "r1"));
        Assert.True(app.Logs.Contains(LogLevel.Error, "Report gone not found"));
    }

    [Fact]
    public async Task Deliver_OnePermanentOneTransient_RetryUntilTransientSettlesThenDrop()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), RefreshApp.Report(1, "r2", "123")));
        app.Mode.Enqueue(FakeModeResponse.Status(400), report: "r1");
        app.Mode.Enqueue(FakeModeResponse.ServerError, report: "r2", times: 3);

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));
        Assert.Equal("DROP", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Equal(1, app.Mode.Calls.Count(c => c.Report == "r1"));
        Assert.Equal(1, app.Mode.Runs.Count(c => c.Report == "r2"));
    }

    [Fact]
    public async Task Deliver_SecretsMissing_RetryWithoutModeCall()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "123"));
        app.Sidecar.RemoveSecret("secretstore", "MODE_API_SECRET");

        Assert.Equal("RETRY", await app.DeliverAsync(DbtEvents.Completed()));

        Assert.Empty(app.Mode.Calls);
        Assert.Null(app.Record("r1"));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Message.Contains(RefreshApp.Token, StringComparison.Ordinal));
    }
}
