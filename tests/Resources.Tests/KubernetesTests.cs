using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// deploy/kubernetes, the kustomize base, rendered by <see cref="Kustomize"/> (kubectl where it exists, the files
/// otherwise; a listed file that is missing or outside its folder fails the render): every YAML under deploy/ is
/// rendered by some kustomization; Deployments carry the Dapr annotations matching their app port, probes on
/// /healthz and /readyz, resource requests, non-root and read-only root filesystem, 2 replicas; a Service for Ingress.
/// </summary>
public sealed partial class KubernetesTests
{
    private static readonly string Base = RepoPaths.Combine("deploy", "kubernetes");

    private static readonly Dictionary<string, int> AppPorts = new() { ["ingress"] = 5080, ["refresh"] = 5090 };

    /// <summary>The base as `kubectl apply -k deploy/kubernetes` sends it (kubectl's render, or the files' without kubectl).</summary>
    private static List<YMap> RenderedDocuments() => Kustomize.Render(RepoPaths.Relative(Base)).Documents.ToList();

    [Fact]
    public void Kustomizations_EveryYamlUnderDeploy_RenderedBySomeDeployableKustomization()
    {
        // A manifest no kustomization lists never reaches a cluster. Exempt: the kustomizations themselves and the
        // example Secrets, which the user fills in and applies by hand (real values never go into git).
        var read = Kustomize.Deployable().SelectMany(k => Kustomize.FromFiles(k).FilesRead).ToHashSet(StringComparer.Ordinal);
        var unlisted = Directory.EnumerateFiles(RepoPaths.Combine("deploy"), "*.yaml", SearchOption.AllDirectories)
            .Select(RepoPaths.Relative)
            .Where(f => !read.Contains(f) && Path.GetFileName(f) != "kustomization.yaml" && !f.EndsWith("secret.example.yaml", StringComparison.Ordinal))
            .ToList();
        Assert.True(unlisted.Count == 0, "not rendered by any kustomization: " + string.Join(", ", unlisted));
        Assert.DoesNotContain(read, f => f.EndsWith("secret.example.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public void Kustomization_Render_HasTheExpectedObjects()
    {
        var kinds = RenderedDocuments().Select(d => $"{d["kind"]?.AsString()}/{d["metadata"]?["name"]?.AsString()}").ToList();
        Assert.Subset(kinds.ToHashSet(), new HashSet<string>
        {
            "Deployment/ingress", "Deployment/refresh", "Service/ingress",
            "Component/pubsub", "Component/statestore", "Component/secretstore",
            "Configuration/ingress-config", "Configuration/refresh-config", "Resiliency/moderefresh-resiliency",
            "ServiceAccount/ingress", "ServiceAccount/refresh",
        });
    }

    [Theory]
    [InlineData("ingress")]
    [InlineData("refresh")]
    public void Deployment_DaprAnnotations_MatchAppIdPortAndConfiguration(string app)
    {
        var deployment = Deployment(app);
        var annotations = Assert.IsType<YMap>(deployment["spec"]?["template"]?["metadata"]?["annotations"]);
        Assert.Equal("true", annotations["dapr.io/enabled"]?.AsString());
        Assert.Equal(app, annotations["dapr.io/app-id"]?.AsString());
        Assert.Equal(AppPorts[app].ToString(System.Globalization.CultureInfo.InvariantCulture), annotations["dapr.io/app-port"]?.AsString());
        Assert.All(annotations.Entries, a => Assert.True(a.Value is YScalar { Kind: ScalarKind.String }, $"annotation {a.Key} must be a quoted string"));

        var config = annotations["dapr.io/config"]?.AsString();
        Assert.Contains(RenderedDocuments(), d => d["kind"]?.AsString() == "Configuration" && d["metadata"]?["name"]?.AsString() == config);

        var container = Container(deployment);
        Assert.Contains(((container["ports"] as YSeq)?.Items ?? []), p => Yaml.AsInteger(p["containerPort"]) == AppPorts[app]);
        Assert.Contains(((container["env"] as YSeq)?.Items ?? []),
            e => e["name"]?.AsString() == "ASPNETCORE_HTTP_PORTS" && e["value"]?.AsString() == AppPorts[app].ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("ingress")]
    [InlineData("refresh")]
    public void Deployment_Probes_OnHealthzAndReadyz(string app)
    {
        var container = Container(Deployment(app));
        Assert.Equal("/healthz", container["livenessProbe"]?["httpGet"]?["path"]?.AsString());
        Assert.Equal("/readyz", container["readinessProbe"]?["httpGet"]?["path"]?.AsString());
        foreach (var probe in new[] { "livenessProbe", "readinessProbe" })
        {
            var port = container[probe]?["httpGet"]?["port"];
            Assert.True(port?.AsString() == "http" || Yaml.AsInteger(port) == AppPorts[app], $"{app}.{probe} must target the app port");
        }
    }

    [Theory]
    [InlineData("ingress")]
    [InlineData("refresh")]
    public void Deployment_SecurityAndResources_NonRootReadOnlyWithRequests(string app)
    {
        var deployment = Deployment(app);
        Assert.Equal(2, Yaml.AsInteger(deployment["spec"]?["replicas"]));
        var container = Container(deployment);
        Assert.Equal("true", container["securityContext"]?["runAsNonRoot"]?.AsString());
        Assert.Equal("true", container["securityContext"]?["readOnlyRootFilesystem"]?.AsString());
        Assert.Equal("false", container["securityContext"]?["allowPrivilegeEscalation"]?.AsString());
        Assert.Equal("true", deployment["spec"]?["template"]?["spec"]?["securityContext"]?["runAsNonRoot"]?.AsString());
        Assert.NotNull(container["resources"]?["requests"]?["cpu"]);
        Assert.NotNull(container["resources"]?["requests"]?["memory"]);

        var selector = Assert.IsType<YMap>(deployment["spec"]?["selector"]?["matchLabels"]);
        var labels = Assert.IsType<YMap>(deployment["spec"]?["template"]?["metadata"]?["labels"]);
        Assert.All(selector.Entries, s => Assert.Equal(s.Value.AsString(), labels[s.Key]?.AsString()));
    }

    [Fact]
    public void IngressService_Selector_TargetsIngressPods()
    {
        var service = RenderedDocuments().Single(d => d["kind"]?.AsString() == "Service" && d["metadata"]?["name"]?.AsString() == "ingress");
        var selector = Assert.IsType<YMap>(service["spec"]?["selector"]);
        var labels = Assert.IsType<YMap>(Deployment("ingress")["spec"]?["template"]?["metadata"]?["labels"]);
        Assert.All(selector.Entries, s => Assert.Equal(s.Value.AsString(), labels[s.Key]?.AsString()));
        var port = Assert.Single(Assert.IsType<YSeq>(service["spec"]?["ports"]).Items);
        Assert.True(port["targetPort"]?.AsString() == "http" || Yaml.AsInteger(port["targetPort"]) == AppPorts["ingress"]);
        Assert.DoesNotContain(RenderedDocuments(), d => d["kind"]?.AsString() == "Service" && d["metadata"]?["name"]?.AsString() == "refresh");
    }

    [Fact]
    public void SecretExample_SecretNames_ValidKubernetesNamesMatchingConfigurationScopes()
    {
        var secrets = Yaml.LoadFile(Path.Combine(Base, "secret.example.yaml")).Select(d => d.Root).OfType<YMap>().ToList();
        var names = secrets.Select(s => s["metadata"]?["name"]?.AsString() ?? string.Empty).ToList();
        Assert.All(names, n => Assert.Matches(DnsSubdomain(), n));

        var allowed = RenderedDocuments().Where(d => d["kind"]?.AsString() == "Configuration")
            .SelectMany(c => (c["spec"]?["secrets"]?["scopes"] as YSeq)?.Items ?? [])
            .SelectMany(s => (s["allowedSecrets"] as YSeq)?.Items ?? [])
            .Select(s => s.AsString()).OfType<string>().ToList();
        Assert.Equal(["dbt-cloud-api-token", "dbt-webhook-key", "mode-api-secret", "mode-api-token"], allowed.Order(StringComparer.Ordinal));
        Assert.Subset(names.ToHashSet(), allowed.ToHashSet());

        foreach (var tokenSecret in new[] { "dapr.io/app-token-secret", "dapr.io/api-token-secret" })
        {
            foreach (var app in AppPorts.Keys)
            {
                var name = Deployment(app)["spec"]?["template"]?["metadata"]?["annotations"]?[tokenSecret]?.AsString();
                Assert.True(name is null || names.Contains(name), $"{app}: {tokenSecret} names {name}, which secret.example.yaml does not show");
            }
        }
    }

    [Theory]
    [InlineData("ingress", "dbt-webhook-key")]
    [InlineData("refresh", "dbt-cloud-api-token", "mode-api-secret", "mode-api-token")]
    public void Deployment_ServiceAccount_MayGetOnlyItsOwnSecrets(string app, params string[] secrets)
    {
        var documents = RenderedDocuments();
        var account = Deployment(app)["spec"]?["template"]?["spec"]?["serviceAccountName"]?.AsString();
        Assert.Equal(app, account);
        Assert.Contains(documents, d => d["kind"]?.AsString() == "ServiceAccount" && d["metadata"]?["name"]?.AsString() == account);

        var roles = documents
            .Where(d => d["kind"]?.AsString() == "RoleBinding"
                && ((d["subjects"] as YSeq)?.Items ?? []).Any(s => s["kind"]?.AsString() == "ServiceAccount" && s["name"]?.AsString() == account))
            .Select(b => b["roleRef"]?["name"]?.AsString())
            .ToList();
        var readable = documents
            .Where(d => d["kind"]?.AsString() == "Role" && roles.Contains(d["metadata"]?["name"]?.AsString()))
            .SelectMany(r => (r["rules"] as YSeq)?.Items ?? [])
            .Where(rule => ((rule["resources"] as YSeq)?.Items ?? []).Any(x => x.AsString() == "secrets"))
            .SelectMany(rule => ((rule["resourceNames"] as YSeq)?.Items ?? []).Select(x => x.AsString()))
            .OfType<string>()
            .Order(StringComparer.Ordinal);
        Assert.Equal(secrets, readable);
    }

    private static YMap Deployment(string app) =>
        RenderedDocuments().Single(d => d["kind"]?.AsString() == "Deployment" && d["metadata"]?["name"]?.AsString() == app);

    private static YNode Container(YMap deployment) =>
        Assert.Single(Assert.IsType<YSeq>(deployment["spec"]?["template"]?["spec"]?["containers"]).Items);

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
