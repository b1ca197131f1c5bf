using Dapr;

namespace ModeRefresh.Refresh.Sidecar;

/// <summary>
/// Where the sidecar is, resolved exactly as the Dapr SDK resolves it (DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT,
/// then DAPR_GRPC_PORT / DAPR_HTTP_PORT, configuration before environment), so messages name the address in use.
/// </summary>
public sealed record SidecarEndpoints(string Grpc, string Http)
{
    public static SidecarEndpoints From(IConfiguration configuration) =>
        new(DaprDefaults.GetDefaultGrpcEndpoint(configuration).TrimEnd('/'), DaprDefaults.GetDefaultHttpEndpoint(configuration).TrimEnd('/'));

    public override string ToString() => $"{Grpc} (gRPC) and {Http} (HTTP)";
}
