using Grpc.Net.Client;

namespace ModeRefresh.Refresh.Sidecar;

/// <summary>
/// The gRPC channel options of the <see cref="Dapr.Client.DaprClient"/>. With gRPC's defaults the channel backs
/// off reconnecting from 1 s up to 120 s (x1.6 per attempt): after a 30 s sidecar outage every call failed for
/// another ~15 s although the sidecar was back. Reconnecting to a local sidecar is cheap, so the backoff is
/// bounded to one second.
/// </summary>
internal static class SidecarChannel
{
    public static readonly TimeSpan InitialReconnectBackoff = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan MaxReconnectBackoff = TimeSpan.FromSeconds(1);

    /// <summary>
    /// daprd's API server closes a connection whose client pings more often than every 8 s, and pings idle
    /// clients itself every 10 s (dapr/dapr v1.18.0 pkg/api/grpc/server.go, NewAPIServer: EnforcementPolicy
    /// MinTime 8s, PermitWithoutStream true). 15 s stays clear of that and still finds a hung connection.
    /// </summary>
    public static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan KeepAlivePingTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A sidecar is local (same host or pod): a connect that takes longer is not going to work.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    public static GrpcChannelOptions Options() => new()
    {
        // The SDK's own default, which replacing its options would otherwise lose: cancellation surfaces as
        // OperationCanceledException rather than an RpcException.
        ThrowOperationCanceledOnCancellation = true,
        InitialReconnectBackoff = InitialReconnectBackoff,
        MaxReconnectBackoff = MaxReconnectBackoff,
        HttpHandler = new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            KeepAlivePingDelay = KeepAlivePingDelay,
            KeepAlivePingTimeout = KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            // gRPC keeps its connection open; an idle timeout would only add reconnects.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
        },
    };
}
