using Dapr;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// The one way both services bound a call to the sidecar. The SDK's own client timeout did not stop a hung gRPC call
/// (measured: it waited the HttpClient default of 100 s), so the deadline is set per call. A deadline that fires
/// surfaces as <see cref="SidecarDeadlineExceededException"/>, a <see cref="DaprException"/> like any other sidecar
/// failure; the caller's own cancellation still surfaces as <see cref="OperationCanceledException"/>.
/// </summary>
public static class SidecarCall
{
    /// <summary>Bounded by <see cref="DaprOptions.CallTimeout"/>.</summary>
    public static Task<T> WithDeadline<T>(this DaprOptions options, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        return WithDeadline(options.CallTimeout, TimeProvider.System, call, ct);
    }

    public static Task WithDeadline(this DaprOptions options, Func<CancellationToken, Task> call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        return WithDeadline(options.CallTimeout, TimeProvider.System, call, ct);
    }

    /// <summary>
    /// Bounded by <paramref name="deadline"/> as <paramref name="time"/> counts it (a caller with a tighter bound than
    /// Dapr:CallTimeout, e.g. Ingress:SecretTimeout, passes its own).
    /// </summary>
    public static async Task<T> WithDeadline<T>(TimeSpan deadline, TimeProvider time, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(call);
        using var timer = new CancellationTokenSource(deadline, time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            return await call(bound.Token);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new SidecarDeadlineExceededException(deadline, ex);
        }
    }

    public static Task WithDeadline(TimeSpan deadline, TimeProvider time, Func<CancellationToken, Task> call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return WithDeadline(deadline, time, async token =>
        {
            await call(token);
            return true;
        }, ct);
    }
}

/// <summary>A sidecar call that did not finish within its deadline (<see cref="SidecarCall"/>).</summary>
public sealed class SidecarDeadlineExceededException(TimeSpan deadline, Exception inner)
    : DaprException($"Dapr sidecar call did not finish within {deadline}", inner)
{
    public TimeSpan Deadline { get; } = deadline;
}
