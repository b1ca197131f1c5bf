using System.Net.Sockets;
using Grpc.Core;

namespace ModeRefresh.ServiceDefaults;

/// <summary>Tells "nothing answered" (no sidecar there) from "the sidecar answered with an error" or "it was slow".</summary>
public static class SidecarFailure
{
    /// <summary>
    /// The transport's reason (e.g. <c>Connection refused</c>) when <paramref name="error"/> means the sidecar could not be
    /// reached at all; null when the sidecar answered (an RpcException with any status but Unavailable) or a call timed out.
    /// Looks through the SDK's DaprException and gRPC's hidden cause (<see cref="Status.DebugException"/>).
    /// </summary>
    public static string? Unreachable(Exception error)
    {
        string? found = null;
        for (var e = error; e is not null; e = e.InnerException ?? (e as RpcException)?.Status.DebugException)
        {
            switch (e)
            {
                case RpcException rpc when rpc.StatusCode != StatusCode.Unavailable:
                    return null;
                case SocketException socket:
                    return socket.Message;
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } http:
                    found ??= http.Message;
                    break;
            }
        }

        return found;
    }
}
