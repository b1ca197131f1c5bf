using System.Net.Sockets;
using DotNet.Testcontainers.Configurations;

namespace ModeRefresh.Deployment.Tests;

/// <summary>
/// Whether a Docker daemon answers, before any container is asked for: Testcontainers' own endpoint
/// discovery (DOCKER_HOST, the docker context, the default socket), then a real `GET /_ping` to that endpoint.
/// A Docker *client* alone (`docker --version`) is not enough.
/// </summary>
public static class DockerProbe
{
    /// <summary>Null when Docker answers; otherwise why it does not, for a visible skip.</summary>
    public static async Task<string?> ReasonUnavailableAsync(CancellationToken ct)
    {
        Uri endpoint;
        try
        {
            var config = TestcontainersSettings.OS.DockerEndpointAuthConfig;
            if (config?.Endpoint is null)
            {
                return "Testcontainers found no Docker endpoint (checked DOCKER_HOST, the docker context and the default socket)";
            }

            endpoint = config.Endpoint;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"Testcontainers could not discover Docker: {ex.GetType().Name}: {ex.Message}";
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var handler = new SocketsHttpHandler();
            var baseAddress = endpoint;
            switch (endpoint.Scheme)
            {
                case "unix":
                    var socketPath = endpoint.LocalPath;
                    if (!File.Exists(socketPath))
                    {
                        return $"the Docker socket {socketPath} does not exist";
                    }

                    handler.ConnectCallback = async (_, token) =>
                    {
                        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                        try
                        {
                            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
                            return new NetworkStream(socket, ownsSocket: true);
                        }
                        catch
                        {
                            socket.Dispose();
                            throw;
                        }
                    };
                    baseAddress = new Uri("http://docker");
                    break;
                case "tcp":
                    baseAddress = new UriBuilder(endpoint) { Scheme = Environment.GetEnvironmentVariable("DOCKER_TLS_VERIFY") is "1" ? "https" : "http" }.Uri;
                    break;
                case "http" or "https":
                    break;
                default:
                    return null; // npipe and others: trust Testcontainers' discovery
            }

            using var client = new HttpClient(handler) { BaseAddress = baseAddress };
            using var response = await client.GetAsync(new Uri("/_ping", UriKind.Relative), timeout.Token);
            return response.IsSuccessStatusCode ? null : $"Docker at {endpoint} answered /_ping with {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or OperationCanceledException or IOException)
        {
            return $"Docker at {endpoint} is not reachable: {ex.GetType().Name}: {ex.Message}";
        }
    }
}
