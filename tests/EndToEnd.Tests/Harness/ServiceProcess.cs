using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ModeRefresh.EndToEnd.Tests.Harness;

/// <summary>
/// One service as a separate OS process: <c>dotnet &lt;dll&gt; --urls http://127.0.0.1:&lt;port&gt;</c>, its settings
/// as environment variables, stdout and stderr captured. Disposing kills it.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    // Inherited settings that would change what is under test (a developer's shell may set them).
    private static readonly string[] Scrubbed = ["ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT",
        "DAPR_GRPC_ENDPOINT", "DAPR_HTTP_ENDPOINT", "DAPR_GRPC_PORT", "DAPR_HTTP_PORT", "DAPR_API_TOKEN", "APP_API_TOKEN", "REFRESH_CONFIG_FILE"];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private ServiceProcess(string name, int port, Process process, ConcurrentQueue<string> output)
    {
        Name = name;
        Url = new Uri($"http://127.0.0.1:{port}");
        Client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        _process = process;
        _output = output;
    }

    public string Name { get; }
    public Uri Url { get; }
    public HttpClient Client { get; }
    public int Port => Url.Port;
    public bool HasExited => _process.HasExited;
    public IReadOnlyList<string> Output => [.. _output];

    public static ServiceProcess Start(string service, int port, IReadOnlyDictionary<string, string> environment)
    {
        var dll = ServicePaths.Dll(service);
        var info = new ProcessStartInfo(ServicePaths.DotnetHost())
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}" },
            WorkingDirectory = Path.GetDirectoryName(dll)!, // content root: the service's own appsettings.json
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in Scrubbed)
        {
            info.Environment.Remove(key);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Capture(output, "out", e.Data);
        process.ErrorDataReceived += (_, e) => Capture(output, "err", e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(service, port, process, output);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <paramref name="path"/> until 200; fails early with the output if the process exits.</summary>
    public async Task WaitForAsync(string path, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before {path} answered 200.");
            }

            try
            {
                using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{Name}: {path} did not answer 200 within {timeout}.");
    }

    /// <summary>SIGKILL on Linux: no graceful shutdown, in-flight requests die with the process.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await KillAsync();
        _process.Dispose();
    }

    private static void Capture(ConcurrentQueue<string> output, string stream, string? line)
    {
        if (line is not null)
        {
            output.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {stream}| {line}");
        }
    }
}
