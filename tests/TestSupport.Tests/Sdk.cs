using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>The real Dapr SDK client pointed at a stand-in, plus small waiting and assertion helpers.</summary>
internal static class Sdk
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static DaprClient ClientFor(StandInSidecar sidecar, string? apiToken = null)
    {
        var builder = new DaprClientBuilder().UseGrpcEndpoint(sidecar.GrpcEndpoint).UseHttpEndpoint(sidecar.HttpEndpoint);
        if (apiToken is not null)
        {
            builder.UseDaprApiToken(apiToken);
        }

        return builder.Build();
    }

    /// <summary>The gRPC status daprd (here: the stand-in) answered, as the SDK surfaces it.</summary>
    public static StatusCode StatusOf(DaprException ex) => Assert.IsType<RpcException>(ex.InnerException).StatusCode;

    /// <summary>
    /// For facts the server learns after the client has moved on (e.g. that a hung call was cancelled):
    /// a client cancels locally and does not wait for the server to notice.
    /// </summary>
    public static Task EventuallyAsync(Func<bool> condition, string what) => Eventually.UntilAsync(condition, what, Ct);
}
