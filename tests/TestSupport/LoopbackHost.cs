using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace ModeRefresh.TestSupport;

/// <summary>
/// One quiet Kestrel host on an OS-chosen loopback port serving a single request delegate: what the fake outside
/// services (Mode, dbt Cloud) are served by.
/// </summary>
internal sealed class LoopbackHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    private LoopbackHost(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>Base URL without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; }

    /// <summary>Cancelled when the host is disposed: a handler that hangs on purpose waits on it too.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public static async Task<LoopbackHost> StartAsync(RequestDelegate handler, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => listen = o));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync(ct);

        // Kestrel writes the OS-chosen port back into the ListenOptions once bound.
        return new LoopbackHost(app, $"http://127.0.0.1:{listen!.IPEndPoint!.Port}");
    }

    /// <summary>Stops within 5 s, once however often it is called.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync(); // releases hanging handlers, or the graceful stop would wait for them
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(patience.Token);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
