using System.Text.Json;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// Refresh's routes on Kubernetes come from one place: the ConfigMap refresh-routes, mounted as the file
/// REFRESH_CONFIG_FILE names. No Deployment sets a Refresh__* variable: environment variables override that file
/// and .NET configuration merges lists by index, so one example Refresh__Reports__0__Report would silently replace
/// the first route of the file (services/Refresh/Hosting/ConfigFileExtensions.cs adds the file below the
/// environment).
/// </summary>
public sealed class KubernetesRoutesTests
{
    private const string ConfigFileVariable = "REFRESH_CONFIG_FILE";

    // What Microsoft.Extensions.Configuration.Json accepts (JsonConfigurationFileParser): comments, trailing commas.
    private static readonly JsonDocumentOptions ConfigurationJson = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static TheoryData<string> Deployable() => new(Kustomize.Deployable());

    [Theory]
    [MemberData(nameof(Deployable))]
    public void Deployments_Env_SetNoRefreshSetting(string kustomization)
    {
        var rendering = Kustomize.Render(kustomization);
        var offending = rendering.OfKind("Deployment")
            .SelectMany(d => Containers(d).SelectMany(c => Env(c).Select(e => (Deployment: d["metadata"]?["name"]?.AsString(), Name: e["name"]?.AsString() ?? string.Empty))))
            .Where(e => e.Name.StartsWith("Refresh__", StringComparison.OrdinalIgnoreCase) || e.Name.StartsWith("Refresh:", StringComparison.OrdinalIgnoreCase))
            .Select(e => $"{e.Deployment}: {e.Name}")
            .ToList();
        Assert.True(offending.Count == 0, $"{kustomization}: routes belong in the refresh-routes ConfigMap, not in env (they would override it by index): {string.Join(", ", offending)}");
    }

    [Theory]
    [MemberData(nameof(Deployable))]
    public void RefreshDeployment_ConfigFile_IsAKeyOfAConfigMapInTheRender(string kustomization)
    {
        var rendering = Kustomize.Render(kustomization);
        var deployment = rendering.Single("Deployment", "refresh");
        var container = Assert.Single(Containers(deployment));
        var path = Env(container).SingleOrDefault(e => e["name"]?.AsString() == ConfigFileVariable)?["value"]?.AsString();
        Assert.False(string.IsNullOrEmpty(path), $"{kustomization}: the refresh container sets no {ConfigFileVariable}");

        var (configMap, key) = MountedConfigMapKey(deployment, container, path!);
        var map = rendering.Single("ConfigMap", configMap);
        var content = map["data"]?[key]?.AsString();
        Assert.False(content is null, $"{kustomization}: ConfigMap {configMap} has no key {key} ({ConfigFileVariable}={path})");

        using var json = JsonDocument.Parse(content!, ConfigurationJson);
        var refresh = json.RootElement.GetProperty("Refresh");
        Assert.Equal(JsonValueKind.Array, refresh.GetProperty("Reports").ValueKind);
    }

    [Fact]
    public void RoutesConfigMap_ShippedExample_IsTheBasesOnlyRoutesSource()
    {
        // The example the user edits: generated from deploy/kubernetes/refresh-routes.json, with every report
        // commented out, so nothing runs against a placeholder report before it is edited.
        var file = RepoPaths.Combine("deploy", "kubernetes", "refresh-routes.json");
        using var json = JsonDocument.Parse(File.ReadAllText(file), ConfigurationJson);
        Assert.Equal(["Refresh"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Empty(json.RootElement.GetProperty("Refresh").GetProperty("Reports").EnumerateArray());
        Assert.Contains("\"Report\"", File.ReadAllText(file), StringComparison.Ordinal); // the commented example
    }

    /// <summary>The ConfigMap and key that end up at <paramref name="path"/> inside the container.</summary>
    private static (string ConfigMap, string Key) MountedConfigMapKey(YMap deployment, YNode container, string path)
    {
        var volumes = (deployment["spec"]?["template"]?["spec"]?["volumes"] as YSeq)?.Items ?? [];
        foreach (var mount in (container["volumeMounts"] as YSeq)?.Items ?? [])
        {
            var mountPath = mount["mountPath"]?.AsString()?.TrimEnd('/') ?? string.Empty;
            var volume = volumes.SingleOrDefault(v => v["name"]?.AsString() == mount["name"]?.AsString());
            var configMap = volume?["configMap"];
            if (configMap?["name"]?.AsString() is not { } name)
            {
                continue;
            }

            Assert.True(configMap["optional"]?.AsString() != "true", "the routes ConfigMap must not be optional: Refresh must not start without its routes");
            if (mount["subPath"]?.AsString() is { } subPath)
            {
                if (mountPath == path)
                {
                    return (name, subPath);
                }
            }
            else if (path.StartsWith(mountPath + "/", StringComparison.Ordinal) && !path[(mountPath.Length + 1)..].Contains('/', StringComparison.Ordinal))
            {
                return (name, path[(mountPath.Length + 1)..]);
            }
        }

        Assert.Fail($"{ConfigFileVariable}={path} is not inside any ConfigMap volume mounted into the refresh container");
        return default;
    }

    private static IEnumerable<YNode> Containers(YMap deployment) =>
        (deployment["spec"]?["template"]?["spec"]?["containers"] as YSeq)?.Items ?? [];

    private static IEnumerable<YNode> Env(YNode container) => (container["env"] as YSeq)?.Items ?? [];
}
