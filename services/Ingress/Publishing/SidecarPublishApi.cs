using Grpc.Core;
using Grpc.Net.Client;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace ModeRefresh.Ingress.Publishing;

/// <summary>
/// The sidecar's publish calls, over the gRPC client generated from Dapr's protos (shipped in Dapr.Client).
/// Why not <see cref="Dapr.Client.DaprClient"/>: its bulk publish cannot give each entry its own metadata, and every
/// event needs its own <c>cloudevent.id</c>. Same endpoint and API token as the SDK (DAPR_GRPC_ENDPOINT, DAPR_API_TOKEN).
/// </summary>
public sealed class SidecarPublishApi : IDisposable
{
    private const string ApiTokenHeader = "dapr-api-token";
    private readonly GrpcChannel _channel;
    private readonly Autogen.Dapr.DaprClient _client;
    private readonly Metadata? _headers;

    public SidecarPublishApi(string grpcEndpoint, string? apiToken)
    {
        if (!Uri.TryCreate(grpcEndpoint, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException(
                $"DAPR_GRPC_ENDPOINT must be an http:// or https:// address of the Dapr sidecar's gRPC port; got '{grpcEndpoint}'.");
        }

        Address = address;
        // As the SDK: a cancelled call surfaces as OperationCanceledException, not as an RpcException(Cancelled).
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { ThrowOperationCanceledOnCancellation = true });
        _client = new Autogen.Dapr.DaprClient(_channel);
        _headers = string.IsNullOrEmpty(apiToken) ? null : new Metadata { { ApiTokenHeader, apiToken } };
    }

    /// <summary>The sidecar's gRPC address this client calls.</summary>
    public Uri Address { get; }

    /// <summary>
    /// The endpoint and token resolved as the Dapr SDK resolves them: DAPR_GRPC_ENDPOINT, else DAPR_GRPC_PORT on
    /// localhost (what <c>dapr run</c> sets), each from configuration first, then the environment.
    /// </summary>
    public static SidecarPublishApi FromConfiguration(IConfiguration configuration) =>
        new(Dapr.DaprDefaults.GetDefaultGrpcEndpoint(configuration), Dapr.DaprDefaults.GetDefaultDaprApiToken(configuration));

    /// <summary>Bulk publish: stable <c>BulkPublishEvent</c>, or <c>BulkPublishEventAlpha1</c> for older sidecars.</summary>
    public async Task<Autogen.BulkPublishResponse> BulkPublishAsync(Autogen.BulkPublishRequest request, bool alpha1, CancellationToken ct)
    {
        var options = new CallOptions(_headers, cancellationToken: ct);
        if (!alpha1) return await _client.BulkPublishEventAsync(request, options);
#pragma warning disable CS0612 // Obsolete in the protos, but the only bulk publish an older daprd serves.
        return await _client.BulkPublishEventAlpha1Async(request, options);
#pragma warning restore CS0612
    }

    /// <summary>One event per call: for sidecars that serve no bulk publish at all.</summary>
    public async Task PublishAsync(Autogen.PublishEventRequest request, CancellationToken ct) =>
        await _client.PublishEventAsync(request, new CallOptions(_headers, cancellationToken: ct));

    public void Dispose() => _channel.Dispose();
}
