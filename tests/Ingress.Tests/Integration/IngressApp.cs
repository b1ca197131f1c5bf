using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

/// <summary>
/// The real Ingress app (in memory) wired to a stand-in sidecar over real gRPC on loopback, the way a user's daprd
/// would be wired through DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT. One per test; <c>await using</c> disposes the app,
/// then the sidecar. The same shape as Refresh.Tests' RefreshApp (Sidecar, Host, Client, Logs); unlike it, the host
/// starts on first use (Client, CreateClient, Services), so a test can set the sidecar's faults before start-up.
/// </summary>
internal sealed class IngressApp : IAsyncDisposable
{
    /// <summary>Where no sidecar listens.</summary>
    public const string Unreachable = "http://127.0.0.1:1";

    private readonly Lazy<HttpClient> _client;

    private IngressApp(StandInSidecar sidecar, Factory factory)
    {
        Sidecar = sidecar;
        Host = factory;
        _client = new Lazy<HttpClient>(factory.CreateClient);
    }

    public StandInSidecar Sidecar { get; }
    public WebApplicationFactory<Program> Host { get; }

    /// <summary>A client of the app, the same one each time (starts the host on first use).</summary>
    public HttpClient Client => _client.Value;

    public TestLogs Logs => ((Factory)Host).Logs;
    public IServiceProvider Services => Host.Services;

    /// <summary>A new client of the app (starts the host on first use).</summary>
    public HttpClient CreateClient() => Host.CreateClient();

    /// <summary>
    /// A stand-in sidecar with secret store <c>secretstore</c> holding <paramref name="keys"/> as DBT_WEBHOOK_KEY
    /// (none when null), and the app wired to it. <paramref name="settings"/> override the defaults.
    /// </summary>
    public static async Task<IngressApp> StartAsync(
        string? keys = "k3y-one", IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var sidecar = await StandInSidecar.StartAsync();
        sidecar.AddSecretStore("secretstore");
        if (keys is not null) sidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", keys);
        return new IngressApp(sidecar, new Factory(sidecar.GrpcEndpoint, sidecar.HttpEndpoint, settings, time));
    }

    /// <summary>The app wired to endpoints of the test's choosing where no sidecar answers (its stand-in sidecar is left unused).</summary>
    public static async Task<IngressApp> StartUnwiredAsync(
        string grpcEndpoint = Unreachable, string httpEndpoint = Unreachable,
        IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var sidecar = await StandInSidecar.StartAsync();
        return new IngressApp(sidecar, new Factory(grpcEndpoint, httpEndpoint, settings, time));
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsValueCreated) _client.Value.Dispose();
        await Host.DisposeAsync();
        await Sidecar.DisposeAsync();
    }

    private sealed class Factory(
        string grpcEndpoint, string httpEndpoint, IReadOnlyDictionary<string, string?>? settings, TimeProvider? time)
        : WebApplicationFactory<Program>
    {
        public TestLogs Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("DAPR_GRPC_ENDPOINT", grpcEndpoint);
            builder.UseSetting("DAPR_HTTP_ENDPOINT", httpEndpoint);
            builder.UseSetting("Logging:LogLevel:ModeRefresh", "Debug");
            // The longest secret read allowed (default 2 s): on a CI machine starved by the end-to-end suite's processes,
            // a new app's first read (new gRPC channel) once took longer, and its first webhook got 503 (fail closed).
            // A test that needs another bound sets its own (settings below win).
            builder.UseSetting("Ingress:SecretTimeout", "00:00:05");
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
            builder.ConfigureLogging(logging =>
            {
                logging.SetMinimumLevel(LogLevel.Debug);
                logging.AddProvider(Logs);
            });
            builder.ConfigureTestServices(services =>
            {
                if (time is not null) services.AddSingleton(time);
            });
        }
    }
}
