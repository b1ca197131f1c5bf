using Microsoft.Extensions.Options;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Sidecar;

/// <summary>
/// What is known about the sidecar, from every probe (readiness and <see cref="SidecarMonitor"/>). Each change
/// is logged once: losing the sidecar is one error however often it is probed, and coming back is one line.
/// During a start-up grace of one <see cref="DaprOptions.ProbeInterval"/> a missing sidecar is not reported yet:
/// <c>dapr run</c> and Kubernetes start the sidecar beside the app, not before it.
/// </summary>
public sealed partial class SidecarReachability(
    IOptions<DaprOptions> options, TimeProvider time, ILogger<SidecarReachability> logger)
{
    private readonly DateTimeOffset startedAt = time.GetUtcNow();
    private int state = (int)SidecarState.Unknown;

    public SidecarState State => (SidecarState)Volatile.Read(ref state);

    public void Observe(SidecarProbeResult result)
    {
        if (result.State != SidecarState.Ready && State == SidecarState.Unknown
            && time.GetUtcNow() - startedAt < options.Value.ProbeInterval)
        {
            return;
        }

        var previous = (SidecarState)Interlocked.Exchange(ref state, (int)result.State);
        if (previous == result.State)
        {
            return;
        }

        switch (result.State)
        {
            case SidecarState.Ready when previous == SidecarState.Unknown:
                LogReady(logger, result.Address);
                break;
            case SidecarState.Ready:
                LogBack(logger, result.Address);
                break;
            case SidecarState.Unreachable:
                LogUnreachable(logger, result.Address, result.Reason);
                break;
            case SidecarState.NotReady:
                LogNotReady(logger, result.Address, result.Reason);
                break;
            case SidecarState.TokenRefused:
                LogTokenRefused(logger, result.Address, result.Reason);
                break;
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "The Dapr sidecar at {Address} is ready")]
    private static partial void LogReady(ILogger logger, string address);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "The Dapr sidecar at {Address} is ready again")]
    private static partial void LogBack(ILogger logger, string address);

    [LoggerMessage(EventId = 702, Level = LogLevel.Error,
        Message = "The Dapr sidecar is not reachable at {Address}; start it with `dapr run -f .` from the repository root, " +
                  "or set DAPR_GRPC_ENDPOINT and DAPR_HTTP_ENDPOINT to where it runs ({Reason}). Until it answers no event is " +
                  "delivered and /readyz answers 503. Logged once until it is back.")]
    private static partial void LogUnreachable(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning,
        Message = "The Dapr sidecar at {Address} answers but is not ready ({Reason}); /readyz answers 503 until it is. Logged once until it is back.")]
    private static partial void LogNotReady(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 704, Level = LogLevel.Error,
        Message = "The Dapr sidecar at {Address} refuses this app: {Reason}. Set DAPR_API_TOKEN for the app to the value its " +
                  "daprd has (or unset it for both). Every state, secret and publish call fails until then. Logged once until it is back.")]
    private static partial void LogTokenRefused(ILogger logger, string address, string reason);
}
