using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// dapr.yaml, the multi-app run file: only keys the Dapr CLI accepts, with the CLI's types (the run-file shape in
/// tests/Resources.Tests/Facts/resource-kinds.yaml), paths that exist (common paths relative to dapr.yaml, app
/// paths relative to appDirPath), distinct ports that match each app's --urls, no placement or scheduler needed,
/// no example routes.
/// </summary>
public sealed partial class DaprRunFileTests
{
    private static YMap RunFile => Yaml.LoadSingleMap(RepoPaths.Combine("dapr.yaml"));

    private static IEnumerable<YMap> Apps => Assert.IsType<YSeq>(RunFile["apps"]).Items.Cast<YMap>();

    [Fact]
    public void RunFile_AgainstRunFileShape_NoErrors()
    {
        var errors = ValidateRunFile(File.ReadAllText(RepoPaths.Combine("dapr.yaml")));
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        Assert.True(Yaml.AsInteger(RunFile["version"]) is > 0, "version must be a non-zero integer");
    }

    [Theory]
    [InlineData("resourcesPaths:", "resourcesPath:", "common.resourcesPath")] // deprecated spelling, not in the shape
    [InlineData("metricsPort: 9191", "metricPort: 9191", "apps[0].metricPort")]
    [InlineData("appPort: 5080", "appPort: \"5080\"", "apps[0].appPort")] // the CLI decodes it into an int
    public void RunFile_PlantedTypo_FailsNamingKey(string original, string planted, string field)
    {
        var text = File.ReadAllText(RepoPaths.Combine("dapr.yaml"));
        Assert.Contains(original, text, StringComparison.Ordinal);
        var error = Assert.Single(ValidateRunFile(ReplaceFirst(text, original, planted)));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void RunFile_PlacementAndScheduler_TurnedOffSoSlimInitWorks()
    {
        // Neither service uses actors, workflows or jobs; daprd's healthz waits for both services otherwise (see
        // the comment in dapr.yaml for the dapr/cli and dapr/dapr sources).
        var common = Assert.IsType<YMap>(RunFile["common"]);
        Assert.Equal(string.Empty, Assert.IsType<YScalar>(common["placementHostAddress"]).Value);
        var scheduler = Assert.IsType<YScalar>(common["schedulerHostAddress"]);
        Assert.True(scheduler.Value.Length > 0 && scheduler.Value.Trim().Length == 0,
            $"schedulerHostAddress must be blank but not empty (the CLI replaces an empty one with localhost), found '{scheduler.Value}'");
        Assert.All(Apps, a => Assert.True(a["placementHostAddress"] is null && a["schedulerHostAddress"] is null,
            $"{a["appID"]?.AsString()}: an app-level placement/scheduler address would override common's"));
    }

    [Fact]
    public void RunFile_SchedulerOff_RefreshRunTrackingOffToo()
    {
        // Refresh follows Mode runs with Dapr jobs, which need the Scheduler; with it turned off every accepted run
        // would wait for a schedule call that cannot succeed (README.md, Run tracking).
        var scheduler = (RunFile["common"]?["schedulerHostAddress"] as YScalar)?.Value;
        var tracking = Apps.Single(a => a["appID"]?.AsString() == "refresh")["env"]?["Tracking__Enabled"]?.AsString();
        if (scheduler is not null && string.IsNullOrWhiteSpace(scheduler))
        {
            Assert.True(string.Equals(tracking, "false", StringComparison.OrdinalIgnoreCase),
                "dapr.yaml turns the Scheduler off, so the refresh app must set Tracking__Enabled: \"false\"");
        }
    }

    [Fact]
    public void RunFile_Env_SetsNoReportRoutes()
    {
        // Routes come from services/Refresh/appsettings.json or REFRESH_CONFIG_FILE; environment variables would win
        // over both without a word (README.md, Refresh).
        var routeKeys = Apps.SelectMany(a => ((a["env"] as YMap)?.Keys ?? []).Select(k => $"{a["appID"]?.AsString()}: {k}"))
            .Concat(((RunFile["common"]?["env"] as YMap)?.Keys ?? []).Select(k => $"common: {k}"))
            .Where(k => RouteKey().IsMatch(k))
            .ToList();
        Assert.True(routeKeys.Count == 0, "dapr.yaml sets report routes: " + string.Join(", ", routeKeys));
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

    internal static List<Validation.ValidationError> ValidateRunFile(string text)
    {
        var errors = new List<Validation.ValidationError>();
        var root = Assert.IsType<YMap>(Assert.Single(Yaml.Load("dapr.yaml", text)).Root);
        var facts = RepoResources.Facts();
        Validation.SchemaValidator.Validate(root, facts.RunFileSchema, "dapr.yaml", string.Empty, errors,
            $"the run-file shape in {facts.RelativeDirectory}/{Validation.DaprFacts.KindsFile}");
        return errors;
    }

    private static string ReplaceFirst(string text, string original, string replacement)
    {
        var at = text.IndexOf(original, StringComparison.Ordinal);
        return text[..at] + replacement + text[(at + original.Length)..];
    }

    private static IEnumerable<string> Strings(YNode? node) => (node as YSeq)?.Items.Select(i => i.AsString()).OfType<string>() ?? [];

    [GeneratedRegex(@":(\d+)/?$")]
    private static partial Regex Port();

    /// <summary>A Refresh routing setting as an environment variable (Refresh__Workspace, Refresh__Reports__0__...).</summary>
    [GeneratedRegex(@"(?i)(^|\s)Refresh__(Workspace|Reports)")]
    internal static partial Regex RouteKey();
}
