using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>A minimal subscriber app: serves a fixed <c>/dapr/subscribe</c> list and answers deliveries as scripted.</summary>
internal sealed class SubscriberApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedDelivery> _received = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _subscribeCalls;

    private SubscriberApp(WebApplication app) => _app = app;

    /// <summary>Answers per route: (call number from 1) → (status, body). Default: 200 {"status":"SUCCESS"}.</summary>
    public Func<string, int, (int Status, string? Body)> Answer { get; set; } = (_, _) => (200, """{"status":"SUCCESS"}""");

    /// <summary>Held before answering, to make deliveries overlap.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>
    /// How <c>GET /dapr/subscribe</c> call n (from 1) is answered: (status, body), or null to drop the connection
    /// without an answer. Default: 200 with the list given at start.
    /// </summary>
    public Func<int, (int Status, string Body)?>? SubscribeAnswer { get; set; }

    public int SubscribeCalls => Volatile.Read(ref _subscribeCalls);

    public IReadOnlyList<ReceivedDelivery> Received => [.. _received];
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    public Uri Url { get; private set; } = null!;

    public static async Task<SubscriberApp> StartAsync(string subscriptions, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => listen = o));
        var app = new SubscriberApp(builder.Build());
        app._app.MapGet("/dapr/subscribe", (HttpContext context) =>
        {
            var n = Interlocked.Increment(ref app._subscribeCalls);
            if (app.SubscribeAnswer is not { } answer) return Results.Text(subscriptions, "application/json");
            if (answer(n) is not { } scripted)
            {
                context.Abort();
                return Results.Empty;
            }

            return Results.Text(scripted.Body, "application/json", statusCode: scripted.Status);
        });
        app._app.MapPost("/{**route}", app.HandleAsync);
        await app._app.StartAsync(Sdk.Ct);
        app.Url = new Uri($"http://127.0.0.1:{listen!.IPEndPoint!.Port}");
        return app;
    }

    public static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, now);
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var route = context.Request.Path.Value!;
            _received.Enqueue(new ReceivedDelivery(route, context.Request.ContentType, context.Request.Headers["dapr-api-token"].ToString(), body));
            var (status, answer) = Answer(route, _received.Count(r => r.Route == route));
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, context.RequestAborted);
            }

            context.Response.StatusCode = status;
            if (answer is not null)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(answer, context.RequestAborted);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

internal sealed record ReceivedDelivery(string Route, string? ContentType, string ApiToken, string Body);
