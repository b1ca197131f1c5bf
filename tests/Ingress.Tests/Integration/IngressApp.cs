using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Ingress.Tests.Integration;

/// <summary>
/// The real Ingress app (in memory) wired to a stand-in sidecar over real gRPC on loopback,
/// the way a user's daprd would be wired through DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT.
/// </summary>
internal sealed class IngressApp(
    string grpcEndpoint, string httpEndpoint, IReadOnlyDictionary<string, string?>? settings = null,
    TimeProvider? time = null) : WebApplicationFactory<Program>
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Logs { get; } = new();

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
            logging.AddProvider(new CapturingLoggerProvider(Logs));
        });
        builder.ConfigureTestServices(services =>
        {
            if (time is not null) services.AddSingleton(time);
        });
    }

    public static async Task<(StandInSidecar Sidecar, IngressApp App)> StartAsync(
        string? keys = "k3y-one", IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var sidecar = await StandInSidecar.StartAsync();
        sidecar.AddSecretStore("secretstore");
        if (keys is not null) sidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", keys);
        return (sidecar, new IngressApp(sidecar.GrpcEndpoint, sidecar.HttpEndpoint, settings, time));
    }
}

internal sealed class CapturingLoggerProvider(ConcurrentQueue<(LogLevel, string, string)> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Capturing(sink, categoryName);

    public void Dispose() { }

    private sealed class Capturing(ConcurrentQueue<(LogLevel, string, string)> sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            sink.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
