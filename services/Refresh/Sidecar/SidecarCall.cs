using Dapr;

namespace ModeRefresh.Refresh.Sidecar;

/// <summary>
/// Bounds each sidecar call by <see cref="DaprOptions.CallTimeout"/>. The SDK's own client timeout did not stop a
/// hung gRPC call (measured: it waited the HttpClient default of 100 s), so the deadline is set per call.
/// A deadline that fires surfaces as <see cref="DaprException"/>, like any other sidecar failure.
/// </summary>
internal static class SidecarCall
{
    public static async Task<T> WithDeadline<T>(this DaprOptions options, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.CallTimeout);
        try
        {
            return await call(deadline.Token);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new DaprException($"Dapr sidecar call did not finish within {options.CallTimeout}", ex);
        }
    }

    public static Task WithDeadline(this DaprOptions options, Func<CancellationToken, Task> call, CancellationToken ct) =>
        options.WithDeadline(async token =>
        {
            await call(token);
            return true;
        }, ct);
}
