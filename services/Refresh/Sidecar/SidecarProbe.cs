using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.Options;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Sidecar;

public enum SidecarState
{
    /// <summary>Not probed yet (or only during the start-up grace).</summary>
    Unknown,

    /// <summary>Health endpoint 2xx and the gRPC API answers: state, secrets and publish can work.</summary>
    Ready,

    /// <summary>Nothing listens at the address, or it does not answer in time.</summary>
    Unreachable,

    /// <summary>The sidecar answers but says it is not ready (daprd's /v1.0/healthz answers 500 until it is).</summary>
    NotReady,

    /// <summary>The gRPC API refuses this app's DAPR_API_TOKEN: every state, secret and publish call would fail.</summary>
    TokenRefused,
}

public sealed record SidecarProbeResult(SidecarState State, string Address, string Reason);

/// <summary>
/// One look at the sidecar over both ports the app depends on: daprd's HTTP health endpoint (the check both services
/// share, <see cref="SidecarHealthProbe"/>) and the gRPC API, the latter through the DaprClient's own channel, so a
/// channel still backing off after an outage counts as not ready.
/// </summary>
public sealed class SidecarProbe(
    DaprClient dapr,
    SidecarHealthProbe health,
    IOptions<SidecarEndpoints> sidecar,
    IOptions<DaprOptions> options)
{

    /// <summary>Each half is bounded by this (or Dapr:CallTimeout when shorter), so a probe fits a readiness timeout.</summary>
    public static readonly TimeSpan PartTimeout = TimeSpan.FromSeconds(2);

    public async Task<SidecarProbeResult> ProbeAsync(CancellationToken ct)
    {
        var httpPart = ProbeHttpAsync(ct);
        var grpcPart = ProbeGrpcAsync(ct);
        var results = await Task.WhenAll(httpPart, grpcPart);
        return results.FirstOrDefault(r => r.State != SidecarState.Ready) ?? results[1];
    }

    private TimeSpan Timeout => options.Value.CallTimeout < PartTimeout ? options.Value.CallTimeout : PartTimeout;

    private SidecarEndpoints Endpoints => sidecar.Value;

    private async Task<SidecarProbeResult> ProbeHttpAsync(CancellationToken ct)
    {
        var answer = await health.CheckAsync(Timeout, ct);
        var state = answer.Health switch
        {
            SidecarHealth.Ready => SidecarState.Ready,
            SidecarHealth.NotReady => SidecarState.NotReady,
            _ => SidecarState.Unreachable,
        };
        return new(state, answer.Address, answer.Reason);
    }

    /// <summary>
    /// GetMetadata needs no component and is served by every daprd. Any answer from the server proves the channel
    /// works (an API allow-list may deny the method, a test stand-in may not implement it); only Unauthenticated
    /// matters beyond that, because daprd's token check refuses every method alike
    /// (dapr/dapr v1.18.0 pkg/api/grpc/auth.go, checkAPITokenInContext).
    /// </summary>
    private async Task<SidecarProbeResult> ProbeGrpcAsync(CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Timeout);
        try
        {
            await dapr.GetMetadataAsync(deadline.Token);
            return new(SidecarState.Ready, Endpoints.Grpc, "gRPC API answered");
        }
        catch (DaprException ex) when (ex.InnerException is RpcException rpc)
        {
            return rpc.StatusCode switch
            {
                StatusCode.Unavailable => new(SidecarState.Unreachable, Endpoints.Grpc, $"gRPC API unavailable ({rpc.Status.Detail})"),
                StatusCode.DeadlineExceeded or StatusCode.Cancelled =>
                    new(SidecarState.Unreachable, Endpoints.Grpc, $"gRPC API did not answer within {Timeout.TotalSeconds:0.#} s"),
                StatusCode.Unauthenticated => new(SidecarState.TokenRefused, Endpoints.Grpc,
                    $"the gRPC API refused this app's DAPR_API_TOKEN ({rpc.Status.Detail})"),
                _ => new(SidecarState.Ready, Endpoints.Grpc, $"gRPC API answered ({rpc.StatusCode})"),
            };
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(SidecarState.Unreachable, Endpoints.Grpc, $"gRPC API did not answer within {Timeout.TotalSeconds:0.#} s");
        }
    }
}
