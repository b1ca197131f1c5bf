using Dapr;
using Microsoft.Extensions.Time.Testing;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress.Tests.Unit;

/// <summary>The one sidecar-call helper both services bound their sidecar calls with (services/ServiceDefaults).</summary>
public sealed class SidecarCallTests
{
    [Fact]
    public async Task WithDeadline_CallOutlivesTheDeadlineOnTheGivenClock_DaprExceptionNamingTheDeadline()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = SidecarCall.WithDeadline(TimeSpan.FromSeconds(2), time, async token =>
        {
            started.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
            return 1;
        }, CancellationToken.None);
        await started.Task;

        time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(call.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));

        var error = await Assert.ThrowsAsync<SidecarDeadlineExceededException>(() => call);
        Assert.IsAssignableFrom<DaprException>(error);
        Assert.Equal(TimeSpan.FromSeconds(2), error.Deadline);
        Assert.Contains("00:00:02", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithDeadline_CallerCancels_OperationCanceledNotADeadline()
    {
        using var caller = new CancellationTokenSource();
        var call = SidecarCall.WithDeadline(TimeSpan.FromMinutes(1), new FakeTimeProvider(),
            token => Task.Delay(Timeout.InfiniteTimeSpan, token), caller.Token);

        await caller.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.IsNotType<SidecarDeadlineExceededException>(error);
    }

    [Fact]
    public async Task WithDeadline_DaprOptions_BoundByCallTimeout()
    {
        var options = new DaprOptions { CallTimeout = TimeSpan.FromMilliseconds(100) };

        var error = await Assert.ThrowsAsync<SidecarDeadlineExceededException>(() =>
            options.WithDeadline(token => Task.Delay(Timeout.InfiniteTimeSpan, token), TestContext.Current.CancellationToken));

        Assert.Equal(options.CallTimeout, error.Deadline);
    }
}
