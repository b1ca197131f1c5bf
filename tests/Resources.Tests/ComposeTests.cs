using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// docker-compose.yml: every referenced path and Dockerfile exists; each service has a pinned daprd 1.18.x
/// sidecar whose app id and ports match it; only the Ingress port is published; the sidecars' resources,
/// configuration and secrets file resolve inside the mounted components folder.
/// </summary>
public sealed partial class ComposeTests
{
    internal static readonly Dictionary<string, (string AppId, int Port)> Apps = new()
    {
        ["ingress"] = ("ingress", 5080),
        ["refresh"] = ("refresh", 5090),
    };

    private static YMap Compose => Yaml.LoadSingleMap(RepoPaths.Combine("docker-compose.yml"));

    internal static YMap Services => Assert.IsType<YMap>(Compose["services"]);

    [Fact]
    public void Compose_BuildContextsAndDockerfiles_Exist()
    {
        foreach (var (name, service) in Services.Entries)
        {
            if (service["build"] is not YMap build)
            {
                continue;
            }

            var context = RepoPaths.Combine(build["context"]?.AsString() ?? ".");
            Assert.True(Directory.Exists(context), $"{name}: build context {context} does not exist");
            var dockerfile = Path.Combine(context, build["dockerfile"]?.AsString() ?? "Dockerfile");
            Assert.True(File.Exists(dockerfile), $"{name}: {dockerfile} does not exist");
        }

        Assert.True(Apps.Keys.All(a => Services[a]?["build"] is YMap), "every app is built from this repository");
    }

    [Fact]
    public void Compose_BindMounts_HostPathsExist()
    {
        foreach (var (name, service) in Services.Entries)
        {
            foreach (var volume in Volumes(service))
            {
                if (volume.Host.StartsWith('.') || volume.Host.StartsWith('/'))
                {
                    Assert.True(Path.Exists(RepoPaths.Combine(volume.Host)), $"{name}: bind mount source {volume.Host} does not exist");
                }
            }
        }
    }

    [Fact]
    public void Compose_Sidecars_PinnedDaprd118WithMatchingAppIdAndPort()
    {
        foreach (var (app, (appId, port)) in Apps)
        {
            var sidecar = Services[$"{app}-dapr"];
            Assert.NotNull(sidecar);
            var image = sidecar["image"]?.AsString() ?? string.Empty;
            Assert.Matches(DaprdImage(), image);
            var args = Arguments(sidecar);
            Assert.Equal(appId, Flag(args, "--app-id"));
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), Flag(args, "--app-port"));
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), Services[app]?["environment"]?["ASPNETCORE_HTTP_PORTS"]?.AsString());

            // The app's SDK endpoints point at its own sidecar.
            Assert.Equal($"http://localhost:{Flag(args, "--dapr-http-port")}", Services[app]?["environment"]?["DAPR_HTTP_ENDPOINT"]?.AsString());
            Assert.Equal($"http://localhost:{Flag(args, "--dapr-grpc-port")}", Services[app]?["environment"]?["DAPR_GRPC_ENDPOINT"]?.AsString());

            // Sidecar and app share one network namespace.
            Assert.Equal(Services[app]?["network_mode"]?.AsString(), sidecar["network_mode"]?.AsString());
        }
    }

    [Fact]
    public void Compose_SharedNamespacePorts_Distinct()
    {
        var ports = new List<(string Owner, string Port)>();
        foreach (var (app, (_, port)) in Apps)
        {
            ports.Add((app, port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var args = Arguments(Services[$"{app}-dapr"]!);
            foreach (var flag in new[] { "--dapr-http-port", "--dapr-grpc-port", "--dapr-internal-grpc-port", "--metrics-port" })
            {
                var value = Flag(args, flag);
                Assert.True(value is not null, $"{app}-dapr must set {flag}: all sidecars share one network namespace");
                ports.Add(($"{app}-dapr {flag}", value));
            }
        }

        ports.Add(("redis", "6379"));
        var duplicates = ports.GroupBy(p => p.Port).Where(g => g.Count() > 1).Select(g => string.Join(", ", g.Select(p => p.Owner))).ToList();
        Assert.True(duplicates.Count == 0, "ports used twice in the shared namespace: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void Compose_PublishedPorts_OnlyIngress()
    {
        var published = Services.Entries
            .SelectMany(s => ((s.Value["ports"] as YSeq)?.Items ?? []).Select(p => (Service: s.Key, Port: p.AsString())))
            .ToList();
        var only = Assert.Single(published);
        Assert.Equal("5080", only.Port?.Split(':').Last());
    }

    [Fact]
    public void Compose_SidecarResources_ResolveInsideMountedComponents()
    {
        foreach (var app in Apps.Keys)
        {
            var sidecar = Services[$"{app}-dapr"]!;
            var mounts = Volumes(sidecar).ToList();
            var args = Arguments(sidecar);
            var resourcePaths = Flags(args, "--resources-path").ToList();
            Assert.NotEmpty(resourcePaths);
            foreach (var path in resourcePaths.Append(Flag(args, "--config")!))
            {
                var host = ToHost(mounts, path);
                Assert.True(host is not null, $"{app}-dapr: {path} is not inside a mounted volume");
                Assert.True(Path.Exists(host), $"{app}-dapr: {path} maps to {host}, which does not exist");
            }

            // The local-file store's relative secretsFile resolves from the sidecar's working_dir to the mounted secrets.json.
            var workingDir = sidecar["working_dir"]?.AsString();
            Assert.NotNull(workingDir);
            var secrets = Path.GetFullPath(Path.Combine(workingDir, DaprRunFileTests.SecretsFile())).Replace('\\', '/');
            Assert.Equal(RepoPaths.Combine("components", "secrets.json"), ToHost(mounts, secrets));
            Assert.True(mounts.All(m => m.ReadOnly), $"{app}-dapr: mount the components read-only");
        }
    }

    [Fact]
    public void Compose_Environment_SetsNoReportRoutes()
    {
        // Routes come from the image's appsettings.json or a mounted REFRESH_CONFIG_FILE; environment variables
        // would win over both without a word (README.md, Refresh).
        var routeKeys = Services.Entries
            .SelectMany(s => EnvironmentKeys(s.Value).Select(k => $"{s.Key}: {k}"))
            .Where(k => DaprRunFileTests.RouteKey().IsMatch(k))
            .ToList();
        Assert.True(routeKeys.Count == 0, "docker-compose.yml sets report routes: " + string.Join(", ", routeKeys));
    }

    [Fact]
    public void Compose_Redis_HealthcheckedAndPersistent()
    {
        var redis = Services["redis"];
        Assert.NotNull(redis?["healthcheck"]);
        Assert.Contains(Volumes(redis!), v => v.Container == "/data");
    }

    private static string? ToHost(List<(string Host, string Container, bool ReadOnly)> mounts, string containerPath)
    {
        foreach (var (host, container, _) in mounts)
        {
            if (containerPath == container || containerPath.StartsWith(container.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                return Path.GetFullPath(RepoPaths.Combine(host.TrimEnd('/'), containerPath[container.Length..].TrimStart('/')));
            }
        }

        return null;
    }

    private static IEnumerable<(string Host, string Container, bool ReadOnly)> Volumes(YNode service) =>
        ((service["volumes"] as YSeq)?.Items ?? [])
            .Select(v => v.AsString()?.Split(':'))
            .OfType<string[]>()
            .Where(parts => parts.Length >= 2)
            .Select(parts => (parts[0], parts[1], parts.Length > 2 && parts[2].Split(',').Contains("ro")));

    /// <summary>Variable names of a service's environment, in either compose form (a map, or a list of NAME=value).</summary>
    private static IEnumerable<string> EnvironmentKeys(YNode service) => service["environment"] switch
    {
        YMap map => map.Keys,
        YSeq list => list.Items.Select(i => i.AsString()?.Split('=')[0]).OfType<string>(),
        _ => [],
    };

    internal static List<string> Arguments(YNode sidecar) =>
        Assert.IsType<YSeq>(sidecar["command"]).Items.Select(i => i.AsString() ?? string.Empty).ToList();

    internal static string? Flag(List<string> args, string flag) => Flags(args, flag).FirstOrDefault();

    private static IEnumerable<string> Flags(List<string> args, string flag)
    {
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == flag)
            {
                yield return args[i + 1];
            }
        }
    }

    [GeneratedRegex(@"^daprio/daprd:1\.18\.\d+$")]
    private static partial Regex DaprdImage();
}
