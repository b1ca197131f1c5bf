using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// dapr.yaml, the multi-app run file: only keys the Dapr CLI accepts, paths that exist (common paths relative to
/// dapr.yaml, app paths relative to appDirPath), distinct ports that match each app's --urls.
/// </summary>
public sealed partial class DaprRunFileTests
{
    /// <summary>Keys the CLI reads per app or under common (dapr/cli pkg/runfileconfig), per the reference README.</summary>
    private static readonly HashSet<string> RunConfigKeys =
    [
        "appID", "appDirPath", "appPort", "appProtocol", "appChannelAddress", "appHealthCheckPath", "enableAppHealthCheck",
        "daprHTTPPort", "daprGRPCPort", "metricsPort", "command", "configFilePath", "resourcesPaths", "resourcesPath", "env",
        "logLevel", "enableApiLogging", "placementHostAddress", "schedulerHostAddress", "runtimePath", "appLogDestination",
        "daprdLogDestination", "maxBodySize", "readBufferSize",
    ];

    private static YMap RunFile => Yaml.LoadSingleMap(RepoPaths.Combine("dapr.yaml"));

    private static IEnumerable<YMap> Apps => Assert.IsType<YSeq>(RunFile["apps"]).Items.Cast<YMap>();

    [Fact]
    public void RunFile_Keys_OnlyThoseTheCliAccepts()
    {
        var root = RunFile;
        Assert.Empty(root.Keys.Except(["version", "common", "apps"]));
        Assert.True(Yaml.AsInteger(root["version"]) is > 0, "version must be a non-zero integer");
        Assert.Empty(Assert.IsType<YMap>(root["common"]).Keys.Except(RunConfigKeys).Except(["appDirPath"]));
        Assert.Null(root["common"]?["resourcesPath"]); // deprecated: resourcesPaths
        foreach (var app in Apps)
        {
            var unknown = app.Keys.Except(RunConfigKeys).ToList();
            Assert.True(unknown.Count == 0, $"app {app["appID"]?.AsString()}: keys the CLI does not accept: {string.Join(", ", unknown)}");
            Assert.NotNull(app["appDirPath"]);
            Assert.IsType<YSeq>(app["command"]);
            Assert.Null(app["resourcesPath"]);
        }
    }

    [Fact]
    public void RunFile_Apps_AreIngressAndRefreshWithFixedPorts()
    {
        var apps = Apps.ToDictionary(a => a["appID"]?.AsString() ?? "?", a => Yaml.AsInteger(a["appPort"]));
        Assert.Equal(new Dictionary<string, long?> { ["ingress"] = 5080, ["refresh"] = 5090 }, apps);
        Assert.Equal("services/Ingress/", Apps.Single(a => a["appID"]?.AsString() == "ingress")["appDirPath"]?.AsString());
        Assert.Equal("services/Refresh/", Apps.Single(a => a["appID"]?.AsString() == "refresh")["appDirPath"]?.AsString());
    }

    [Fact]
    public void RunFile_Paths_ExistRelativeToTheirBase()
    {
        foreach (var path in Strings(RunFile["common"]?["resourcesPaths"]))
        {
            Assert.True(Directory.Exists(RepoPaths.Combine(path)), $"common.resourcesPaths: {path} (relative to dapr.yaml) is not a folder");
        }

        Assert.True(RunFile["common"]?["configFilePath"] is null || File.Exists(RepoPaths.Combine(RunFile["common"]!["configFilePath"]!.AsString()!)));

        foreach (var app in Apps)
        {
            var id = app["appID"]?.AsString();
            var appDir = RepoPaths.Combine(app["appDirPath"]!.AsString()!);
            Assert.True(Directory.Exists(appDir), $"{id}: appDirPath {appDir} does not exist");
            var config = app["configFilePath"]?.AsString();
            Assert.True(config is not null && File.Exists(Path.Combine(appDir, config)), $"{id}: configFilePath {config} (relative to appDirPath) does not exist");
            foreach (var path in Strings(app["resourcesPaths"]))
            {
                Assert.True(Directory.Exists(Path.Combine(appDir, path)), $"{id}: resourcesPaths {path} (relative to appDirPath) is not a folder");
            }
        }
    }

    [Fact]
    public void RunFile_ResourcesPaths_OneBrokerAndOneSecretStoreFolder()
    {
        var paths = Strings(RunFile["common"]?["resourcesPaths"]).ToList();
        Assert.Single(paths, p => p.StartsWith("components/brokers/", StringComparison.Ordinal));
        Assert.Single(paths, p => p.StartsWith("components/secretstores/", StringComparison.Ordinal));
        Assert.Contains("components", paths);
    }

    [Fact]
    public void RunFile_Ports_DistinctAcrossApps()
    {
        var ports = Apps.SelectMany(a => new[] { "appPort", "daprHTTPPort", "daprGRPCPort", "metricsPort" }
            .Select(k => (App: a["appID"]?.AsString(), Key: k, Port: Yaml.AsInteger(a[k])))).ToList();
        Assert.All(ports, p => Assert.True(p.Port is > 0 and < 65536, $"{p.App}.{p.Key} must be a fixed port"));
        var duplicates = ports.GroupBy(p => p.Port).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(p => $"{p.App}.{p.Key}"))}").ToList();
        Assert.True(duplicates.Count == 0, "ports used twice: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void RunFile_CommandUrls_MatchAppPort()
    {
        foreach (var app in Apps)
        {
            var command = Strings(app["command"]).ToList();
            Assert.Equal(["dotnet", "run", "--urls"], command.Take(3));
            var url = command[command.IndexOf("--urls") + 1];
            var port = Port().Match(url);
            Assert.True(port.Success, $"{app["appID"]?.AsString()}: --urls {url} has no port");
            Assert.Equal(Yaml.AsInteger(app["appPort"]), long.Parse(port.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void RunFile_SdkEndpoints_MatchSidecarPorts()
    {
        foreach (var app in Apps)
        {
            Assert.EndsWith($":{Yaml.AsInteger(app["daprHTTPPort"])}", app["env"]?["DAPR_HTTP_ENDPOINT"]?.AsString() ?? "(missing)", StringComparison.Ordinal);
            Assert.EndsWith($":{Yaml.AsInteger(app["daprGRPCPort"])}", app["env"]?["DAPR_GRPC_ENDPOINT"]?.AsString() ?? "(missing)", StringComparison.Ordinal);
            // Token auth needs the same value in app and daprd; `env` is the app's, so it stays out (see components/README.md).
            Assert.Null(app["env"]?["APP_API_TOKEN"]);
            Assert.Null(app["env"]?["DAPR_API_TOKEN"]);
        }
    }

    [Fact]
    public void LocalFileSecretStore_SecretsFile_ResolvesFromEachAppDirToComponentsSecretsJson()
    {
        // daprd runs in each app's appDirPath under `dapr run -f .`.
        var secretsFile = SecretsFile();
        var expected = RepoPaths.Combine("components", "secrets.json");
        foreach (var app in Apps)
        {
            var resolved = Path.GetFullPath(Path.Combine(RepoPaths.Combine(app["appDirPath"]!.AsString()!), secretsFile));
            Assert.Equal(expected, resolved);
        }

        Assert.True(File.Exists(RepoPaths.Combine("components", "secrets.example.json")));
    }

    internal static string SecretsFile()
    {
        var store = Yaml.LoadSingleMap(RepoPaths.Combine("components", "secretstores", "local-file", "secretstore.yaml"));
        var item = Assert.IsType<YSeq>(store["spec"]?["metadata"]).Items.Single(i => i["name"]?.AsString() == "secretsFile");
        return item["value"]?.AsString() ?? throw new InvalidDataException("secretsFile has no value");
    }

    private static IEnumerable<string> Strings(YNode? node) => (node as YSeq)?.Items.Select(i => i.AsString()).OfType<string>() ?? [];

    [GeneratedRegex(@":(\d+)/?$")]
    private static partial Regex Port();
}
