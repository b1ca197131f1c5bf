using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Deployment.Tests;

/// <summary>
/// The whole system through real Dapr, the way `dapr run -f .` / docker compose run it: a Redis container, one
/// daprd 1.18 container per service (the image docker-compose.yml pins) loading this repository's own
/// components/ folder, resiliency and per-app configuration unchanged, both services as processes on the host,
/// and a fake Mode. A webhook signed as dbt Cloud signs it goes in; the fake Mode must receive the report run.
/// <para>
/// Like compose, the sidecars join Redis's network namespace, so the repository's `localhost:6379` components
/// work as they are; the sidecars reach the apps on the host through host.docker.internal (host-gateway), and
/// the apps reach their sidecars through ports published on the Redis container. The local-file secret store's
/// relative secretsFile resolves from the sidecar's working directory to a temporary secrets.json mounted
/// for the test, never to the developer's own components/secrets.json.
/// </para>
/// Skips, with the reason, where Docker is not reachable.
/// </summary>
public sealed partial class EndToEndTests
{
    private const string WebhookKey = "e2e-dbt-webhook-key";
    private const string ModeToken = "e2e-mode-token";
    private const string ModeSecret = "e2e-mode-secret";
    private const string Workspace = "e2e-workspace";
    private const string Report = "e2e-report";
    private const string CompletedTopic = "dbt-job-run-completed";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task SignedWebhook_ThroughRedisAndDaprd_FakeModeReceivesReportRun()
    {
        var ct = TestContext.Current.CancellationToken;
        var unavailable = await DockerProbe.ReasonUnavailableAsync(ct);
        if (unavailable is not null)
        {
            Assert.Skip($"Docker is not reachable, so the end-to-end test with Redis and daprd containers did not run: {unavailable}");
        }

        var root = RepositoryRoot();
        var daprdImage = DaprdImageFromCompose(root);
        var log = TestContext.Current.TestOutputHelper;

        // Build both services first, one after the other (they share the Contracts project's output).
        foreach (var project in new[] { ServiceProject(root, "Ingress"), ServiceProject(root, "Refresh") })
        {
            await HostProcess.RunToCompletionAsync("dotnet", ["build", project, "-c", "Debug", "--nologo", "-v", "q"], root, TimeSpan.FromMinutes(5), ct);
        }

        var secretsDirectory = Directory.CreateTempSubdirectory("moderefresh-e2e-");
        await File.WriteAllTextAsync(Path.Combine(secretsDirectory.FullName, "secrets.json"), $$"""
            { "DBT_WEBHOOK_KEY": "{{WebhookKey}}", "MODE_API_TOKEN": "{{ModeToken}}", "MODE_API_SECRET": "{{ModeSecret}}" }
            """, ct);
        if (!OperatingSystem.IsWindows())
        {
            // daprd runs as a non-root user in its image: the mounted folder must be readable by others.
            File.SetUnixFileMode(secretsDirectory.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.SetUnixFileMode(Path.Combine(secretsDirectory.FullName, "secrets.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite
                | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var apps = new[] { new App("ingress", "Ingress", HostProcess.FreePort(), 3500, 50001, 50011, 9091), new App("refresh", "Refresh", HostProcess.FreePort(), 3501, 50002, 50012, 9092) };
        var sidecars = new List<IContainer>();
        var processes = new List<HostProcess>();
        await using var fakeMode = await FakeModeServer.StartAsync(ModeToken, ModeSecret, ct);
        await using var redis = new ContainerBuilder("redis:7.4-alpine")
            .WithExtraHost("host.docker.internal", "host-gateway")
            .WithPortBinding(6379, true)
            .WithPortBinding(apps[0].DaprHttpPort, true).WithPortBinding(apps[0].DaprGrpcPort, true)
            .WithPortBinding(apps[1].DaprHttpPort, true).WithPortBinding(apps[1].DaprGrpcPort, true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilCommandIsCompleted("redis-cli", "ping"))
            .Build();
        try
        {
            await redis.StartAsync(ct);
            foreach (var app in apps)
            {
                var sidecar = new ContainerBuilder(daprdImage)
                    .WithCreateParameterModifier(p => (p.HostConfig ??= new Docker.DotNet.Models.HostConfig()).NetworkMode = $"container:{redis.Id}")
                    .WithBindMount(Path.Combine(root, "components"), "/moderefresh/components", AccessMode.ReadOnly)
                    .WithBindMount(secretsDirectory.FullName, "/e2e/components", AccessMode.ReadOnly)
                    .WithWorkingDirectory($"/e2e/services/{app.Id}")
                    .WithEntrypoint("/daprd")
                    .WithCommand(
                        "--app-id", app.Id,
                        "--app-port", Invariant(app.AppPort),
                        "--app-channel-address", "host.docker.internal",
                        "--dapr-http-port", Invariant(app.DaprHttpPort),
                        "--dapr-grpc-port", Invariant(app.DaprGrpcPort),
                        "--dapr-internal-grpc-port", Invariant(app.InternalGrpcPort),
                        "--metrics-port", Invariant(app.MetricsPort),
                        "--config", $"/moderefresh/components/config/{app.Id}.yaml",
                        "--resources-path", "/moderefresh/components",
                        "--resources-path", "/moderefresh/components/brokers/redis",
                        "--resources-path", "/moderefresh/components/secretstores/local-file",
                        "--log-level", "info")
                    .Build();
                sidecars.Add(sidecar);
                await sidecar.StartAsync(ct);

                var environment = new Dictionary<string, string>
                {
                    ["ASPNETCORE_URLS"] = $"http://0.0.0.0:{Invariant(app.AppPort)}",
                    ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{redis.GetMappedPublicPort(app.DaprHttpPort)}",
                    ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{redis.GetMappedPublicPort(app.DaprGrpcPort)}",
                };
                if (app.Id == "refresh")
                {
                    environment["Refresh__Workspace"] = Workspace;
                    environment["Refresh__Reports__0__Report"] = Report;
                    environment["Refresh__Reports__0__Jobs__0"] = "*";
                    environment["Mode__BaseUrl"] = fakeMode.BaseUrl;
                }

                processes.Add(HostProcess.Start(app.Id, "dotnet", ["run", "--no-build", "--no-launch-profile", "--project", ServiceProject(root, app.Project)], root, environment));
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var app in apps)
            {
                await WaitUntilAsync($"{app.Id} /readyz", async () => (await TryGet(http, $"http://127.0.0.1:{app.AppPort}/readyz", ct)) == HttpStatusCode.OK, StartupTimeout, ct);
            }

            var refreshSidecar = $"http://127.0.0.1:{redis.GetMappedPublicPort(apps[1].DaprHttpPort)}";
            await WaitUntilAsync("refresh's subscription to " + CompletedTopic, async () =>
                (await TryGetString(http, $"{refreshSidecar}/v1.0/metadata", ct))?.Contains(CompletedTopic, StringComparison.Ordinal) == true, StartupTimeout, ct);

            var runId = Random.Shared.NextInt64(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
            var body = Webhook(runId);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{apps[0].AppPort}/webhooks/dbt")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Authorization", Sign(body));
            using var response = await http.SendAsync(request, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted,
                $"Ingress answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");

            await fakeMode.WaitForCallsAsync(calls => calls.Any(c => c.Accepted), DeliveryTimeout);
            var run = Assert.Single(fakeMode.Runs);
            Assert.Equal("POST", run.Method);
            Assert.Equal(Workspace, run.Workspace);
            Assert.Equal(Report, run.Report);
            Assert.True(run.AuthOk, "Refresh must call Mode with the credentials from the secret store");
            log?.WriteLine($"Mode received {run.Method} {run.Path} for dbt run {runId}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !IsSkip(ex))
        {
            throw new InvalidOperationException(await DiagnosticsAsync(processes, redis, sidecars, fakeMode), ex);
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }

            foreach (var sidecar in sidecars)
            {
                await sidecar.DisposeAsync();
            }

            secretsDirectory.Delete(recursive: true);
        }
    }

    private static bool IsSkip(Exception ex) => ex.GetType().Name.Contains("Skip", StringComparison.Ordinal);

    private static string Webhook(string runId) => DbtPayloads.CompletedBody(eventId: $"ev_{runId}", runId: runId);

    /// <summary>As dbt Cloud signs: lowercase hex HMAC-SHA256 of the raw body, keyed with the webhook secret.</summary>
    private static string Sign(string body) => DbtPayloads.Sign(body, WebhookKey);

    private static async Task WaitUntilAsync(string what, Func<Task<bool>> condition, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not reached within {timeout.TotalSeconds:0}s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
    }

    private static async Task<HttpStatusCode?> TryGet(HttpClient http, string url, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(url), ct);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<string?> TryGetString(HttpClient http, string url, CancellationToken ct)
    {
        try
        {
            return await http.GetStringAsync(new Uri(url), ct);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<string> DiagnosticsAsync(List<HostProcess> processes, IContainer redis, List<IContainer> sidecars, FakeModeServer fakeMode)
    {
        var text = new StringBuilder("End-to-end run failed. Diagnostics:").AppendLine();
        foreach (var process in processes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"--- {process.Name} (exited: {process.HasExited}) ---").AppendLine(Tail(process.Output));
        }

        foreach (var (container, name) in sidecars.Select((c, i) => (c, i == 0 ? "ingress daprd" : "refresh daprd")).Append((redis, "redis")))
        {
            try
            {
                var (stdout, stderr) = await container.GetLogsAsync(ct: CancellationToken.None);
                text.AppendLine(CultureInfo.InvariantCulture, $"--- {name} ---").AppendLine(Tail(stdout + stderr));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"--- {name}: logs unavailable ({ex.Message}) ---");
            }
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"--- fake Mode: {fakeMode.Calls.Count} call(s) ---");
        foreach (var call in fakeMode.Calls)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{call.Method} {call.Path} -> {call.StatusCode} (auth ok: {call.AuthOk})");
        }

        return text.ToString();
    }

    private static string Tail(string text) => text.Length <= 8000 ? text : text[^8000..];

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string ServiceProject(string root, string name) => Path.Combine(root, "services", name, $"ModeRefresh.{name}.csproj");

    private static string RepositoryRoot() => RepoPaths.Root;

    /// <summary>The daprd image docker-compose.yml pins, so this test runs what compose runs.</summary>
    private static string DaprdImageFromCompose(string root)
    {
        var match = DaprdImage().Match(File.ReadAllText(Path.Combine(root, "docker-compose.yml")));
        Assert.True(match.Success, "docker-compose.yml pins no daprio/daprd:1.18.x image");
        return match.Value;
    }

    [GeneratedRegex(@"daprio/daprd:1\.18\.\d+")]
    private static partial Regex DaprdImage();

    private sealed record App(string Id, string Project, int AppPort, int DaprHttpPort, int DaprGrpcPort, int InternalGrpcPort, int MetricsPort);
}
