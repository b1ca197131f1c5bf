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
        if (ServiceDefaults.SidecarEndpoints.Check(grpcEndpoint, "DAPR_GRPC_ENDPOINT", "gRPC API", "http://127.0.0.1:50001") is { } error)
        {
            throw new InvalidOperationException(error);
        }

        var address = new Uri(grpcEndpoint);

        Address = address;
        _channel = GrpcChannel.ForAddress(address, ChannelOptions());
        _client = new Autogen.Dapr.DaprClient(_channel);
        _headers = string.IsNullOrEmpty(apiToken) ? null : new Metadata { { ApiTokenHeader, apiToken } };
    }

    /// <summary>The sidecar's gRPC address this client calls.</summary>
    public Uri Address { get; }

    /// <summary>
    /// How the channel gets back to a sidecar that went away. When the connection is lost, gRPC reconnects with an
    /// exponential backoff (1 s, ×1.6 per failed attempt, ±20 %), by default up to 120 s between attempts; while it waits
    /// every call fails at once with Unavailable. So after a sidecar restart publishing stayed down for as long again as
    /// the backoff had grown (5 s after a 10 s outage, 39 s after 120 s; Grpc.Net.Client v2.80.0
    /// Balancer/Subchannel.cs ConnectTransportAsync, Balancer/Internal/ExponentialBackoffPolicy.cs). The sidecar is
    /// local (the same pod or host), so a connection attempt costs next to nothing: try at least once a second, and
    /// publishing resumes within about a second of the sidecar answering again, whatever the outage length.
    /// </summary>
    internal static GrpcChannelOptions ChannelOptions() => new()
    {
        // As the SDK: a cancelled call surfaces as OperationCanceledException, not as an RpcException(Cancelled).
        ThrowOperationCanceledOnCancellation = true,
        InitialReconnectBackoff = TimeSpan.FromMilliseconds(250),
        MaxReconnectBackoff = MaxReconnectBackoff,
        // The handler the channel would make itself: gRPC keeps its own connection management (State, ConnectAsync,
        // which the readiness probe uses). No ConnectTimeout on purpose: in Grpc.Net.Client before 2.83 a connect
        // timeout that fires while a reconnect waits leaves the channel in TransientFailure for good, every call failing
        // (grpc/grpc-dotnet#2734, fixed by c0426876 in Balancer/Subchannel.cs); Dapr.Client 1.19 brings 2.80. A hung
        // connect is bounded anyway: each publish by PublishTimeout, each probe by its own timeout.
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        DisposeHttpClient = true,
    };

    /// <summary>The longest wait between two reconnection attempts while the sidecar is away.</summary>
    internal static readonly TimeSpan MaxReconnectBackoff = TimeSpan.FromSeconds(1);

    /// <summary>
    /// True when the channel is connected to the sidecar, or connects within <paramref name="timeout"/>; false as soon
    /// as the connection attempt this starts fails (nothing listening), or at the timeout. Asking starts an attempt at
    /// once, cutting short any reconnect backoff. A readiness probe: it publishes nothing.
    /// </summary>
    public async Task<bool> TryConnectAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_channel.State == ConnectivityState.Ready) return true;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(timeout);
        var connected = _channel.ConnectAsync(bound.Token);
        try
        {
            var attempted = false;
            while (true)
            {
                var state = _channel.State;
                if (state == ConnectivityState.Ready) return true;
                if (state == ConnectivityState.Connecting) attempted = true;
                else if (attempted && state == ConnectivityState.TransientFailure) return false;
                await Task.WhenAny(connected, _channel.WaitForStateChangedAsync(state, bound.Token));
                if (connected.IsCompletedSuccessfully) return true;
                bound.Token.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            // Ends the wait inside ConnectAsync; the channel goes on reconnecting by itself.
            await bound.CancelAsync();
        }
    }

    /// <summary>
    /// The endpoint and token resolved as the Dapr SDK resolves them: DAPR_GRPC_ENDPOINT, else DAPR_GRPC_PORT on
    /// localhost (what <c>dapr run</c> sets), each from configuration first, then the environment.
    /// </summary>
    public static SidecarPublishApi FromConfiguration(IConfiguration configuration) => From(ServiceDefaults.SidecarEndpoints.FromConfiguration(configuration));

    public static SidecarPublishApi From(ServiceDefaults.SidecarEndpoints endpoints) => new(endpoints.GrpcEndpoint, endpoints.ApiToken);

    /// <summary>
    /// Why the channel cannot reach the sidecar (e.g. <c>Connection refused</c>), or null when it got an answer. Asks for
    /// the sidecar's metadata, which changes nothing; on a channel whose connection attempt failed the call fails at
    /// once with the transport's error, without going to the network.
    /// </summary>
    public async Task<string?> ConnectionErrorAsync(CancellationToken ct)
    {
        try
        {
            await _client.GetMetadataAsync(new Autogen.GetMetadataRequest(),
                new CallOptions(_headers, deadline: DateTime.UtcNow.AddMilliseconds(500), cancellationToken: ct));
            return null;
        }
        catch (RpcException ex)
        {
            return ServiceDefaults.SidecarFailure.Unreachable(ex);
        }
    }

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
