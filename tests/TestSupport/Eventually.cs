using System.Diagnostics;

namespace ModeRefresh.TestSupport;

/// <summary>
/// Polls for facts a test cannot await directly (a call reached the stand-in, a log line was written, an app is
/// ready). Throws <see cref="TimeoutException"/> naming what never happened, with <paramref name="detail"/>'s text.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public static Task UntilAsync(Func<bool> condition, string what, CancellationToken ct,
        TimeSpan? timeout = null, Func<string>? detail = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, ct, timeout, detail);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct,
        TimeSpan? timeout = null, Func<string>? detail = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit} waiting for: {what}{(detail is null ? "" : "\n" + detail())}");
            }

            await Task.Delay(Poll, ct);
        }
    }
}
