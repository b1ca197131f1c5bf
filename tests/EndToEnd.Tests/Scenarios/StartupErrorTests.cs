using System.Diagnostics;
using ModeRefresh.EndToEnd.Tests.Harness;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <summary>
/// A bad setting, as a user meets it: the service's own build output started as a process. It must stop with exit
/// code 1 and ONE line on stderr naming the configuration key (and its environment form) and why; it used to end in
/// an unhandled exception (a 30–55-line stack trace, SIGABRT's exit code 134) naming a C# property.
/// </summary>
public sealed class StartupErrorTests
{
    [Theory]
    [InlineData("Ingress", "Ingress__MaxBodyBytes", "10", "Ingress:MaxBodyBytes (env Ingress__MaxBodyBytes) must be between 1024 and 16777216")]
    [InlineData("Ingress", "Ingress__PublishTimeout", "soon", "'Ingress:PublishTimeout' (env Ingress__PublishTimeout)")]
    [InlineData("Ingress", "DAPR_GRPC_ENDPOINT", "unix:///tmp/dapr.sock", "DAPR_GRPC_ENDPOINT (or DAPR_GRPC_PORT) must be an http:// or https:// address")]
    [InlineData("Refresh", "Mode__BaseUrl", "app.mode.com", "Mode:BaseUrl (env Mode__BaseUrl) must be an absolute http(s) URL")]
    [InlineData("Refresh", "Idempotency__RecordTtl", "00:00:00", "Idempotency:RecordTtl (env Idempotency__RecordTtl) must be at least 00:00:01")]
    public async Task Start_BadSetting_Exit1AndOneStderrLineNamingTheKey(string service, string variable, string value, string expected)
    {
        var (exitCode, stdout, stderr) = await RunAsync(service, new Dictionary<string, string> { [variable] = value });

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"exit code {exitCode}\n--- stderr\n{string.Join("\n", stderr)}\n--- stdout\n{string.Join("\n", stdout)}");
        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr);
        Assert.StartsWith($"ModeRefresh.{service}: cannot start: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Options.", line, StringComparison.Ordinal); // no C# property name
        Assert.DoesNotContain(stdout, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)); // no stack trace
    }

    private static async Task<(int ExitCode, List<string> Stdout, List<string> Stderr)> RunAsync(
        string service, Dictionary<string, string> settings)
    {
        var dll = ServicePaths.Dll(service);
        var info = new ProcessStartInfo(ServicePaths.DotnetHost())
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{ServiceProcess.FreePort()}" },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("DAPR_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
                     || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal) || k is "APP_API_TOKEN" or "REFRESH_CONFIG_FILE").ToList())
        {
            info.Environment.Remove(key);
        }

        // Nothing else to go wrong: no sidecar is needed to get as far as the settings.
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DAPR_GRPC_ENDPOINT"] = "http://127.0.0.1:1";
        info.Environment["DAPR_HTTP_ENDPOINT"] = "http://127.0.0.1:1";
        foreach (var (key, value) in settings) info.Environment[key] = value;

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        patience.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{service} was still running 60 s after a bad setting; it should have stopped at once.");
        }

        static List<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        return (process.ExitCode, Lines(await stdout), Lines(await stderr));
    }
}
