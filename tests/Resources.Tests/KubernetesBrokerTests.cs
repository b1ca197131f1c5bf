using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;
using ModeRefresh.Resources.Tests.Validation;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// The broker swap on Kubernetes: `kubectl apply -k deploy/kubernetes` is Redis Streams, and
/// `kubectl apply -k deploy/overlays/NAME` is the same system on another broker. Each render holds
/// exactly one pub/sub component, named as both services expect and scoped to both; every Secret any render
/// references (component secretKeyRefs, Deployment env, token annotations) is a valid Kubernetes name shown with
/// that key in an example file; and each render is a valid Dapr resource set as a whole.
/// </summary>
public sealed partial class KubernetesBrokerTests
{
    private static readonly Dictionary<string, string> ExpectedType = new(StringComparer.Ordinal)
    {
        ["deploy/kubernetes"] = "pubsub.redis",
        ["deploy/overlays/redis"] = "pubsub.redis",
        ["deploy/overlays/rabbitmq"] = "pubsub.rabbitmq",
        ["deploy/overlays/kafka"] = "pubsub.kafka",
    };

    public static TheoryData<string> Deployable() => new(Kustomize.Deployable());

    public static TheoryData<string> Overlays() => new(Kustomize.Deployable().Where(k => k != RepoPaths.Relative(Kustomize.Base)));

    [Fact]
    public void BrokerOverlays_RequiredBrokers_AllPresent() =>
        Assert.Subset(Kustomize.BrokerOverlays().ToHashSet(), new HashSet<string> { "redis", "rabbitmq", "kafka" });

    [Theory]
    [MemberData(nameof(Deployable))]
    public void Render_PubSub_ExactlyOneNamedAsTheServicesExpectScopedToBoth(string kustomization)
    {
        var rendering = Kustomize.Render(kustomization);
        var pubsub = Assert.Single(rendering.DaprComponents(), c => c["spec"]?["type"]?.AsString()?.StartsWith("pubsub.", StringComparison.Ordinal) == true);

        Assert.True(ExpectedType.TryGetValue(kustomization, out var type), $"{kustomization}: add its broker type to {nameof(ExpectedType)}");
        Assert.Equal(type, pubsub["spec"]?["type"]?.AsString());
        Assert.Equal(["ingress", "refresh"], ((pubsub["scopes"] as YSeq)?.Items ?? []).Select(s => s.AsString()).Order(StringComparer.Ordinal));

        // Both services read Dapr:PubsubName: Ingress publishes to it, Refresh subscribes on it (default "pubsub").
        Assert.Equal(Setting(rendering, "ingress", "Dapr__PubsubName") ?? "pubsub", pubsub["metadata"]?["name"]?.AsString());
        Assert.Equal(Setting(rendering, "refresh", "Dapr__PubsubName") ?? "pubsub", pubsub["metadata"]?["name"]?.AsString());

        // The resiliency policies target the pub/sub by that name.
        var resiliency = Assert.Single(rendering.OfKind("Resiliency"));
        Assert.NotNull(resiliency["spec"]?["targets"]?["components"]?[pubsub["metadata"]?["name"]?.AsString() ?? string.Empty]);
    }

    [Theory]
    [MemberData(nameof(Deployable))]
    public void Render_SecretReferences_ValidNamesShownInAnExampleWithThatKey(string kustomization)
    {
        var rendering = Kustomize.Render(kustomization);
        var examples = ExampleSecrets(kustomization);
        var references = SecretReferences(rendering).ToList();
        Assert.NotEmpty(references);

        var problems = new List<string>();
        foreach (var (secret, key, where) in references)
        {
            if (!DnsSubdomain().IsMatch(secret) || secret.Length > 253)
            {
                problems.Add($"{where}: Secret name '{secret}' is not a valid Kubernetes name (lowercase RFC 1123 subdomain)");
            }

            if (!SecretKey().IsMatch(key))
            {
                problems.Add($"{where}: '{key}' is not a valid Secret key");
            }

            if (!examples.Contains((secret, key)))
            {
                problems.Add($"{where}: Secret {secret} key {key} is in no example secret file ({string.Join(", ", ExampleFiles(kustomization).Select(RepoPaths.Relative))})");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void ExampleSecrets_Names_AllValidKubernetesNames()
    {
        var files = Directory.EnumerateFiles(RepoPaths.Combine("deploy"), "*secret.example.yaml", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        foreach (var secret in files.SelectMany(Yaml.LoadFile).Select(d => d.Root).OfType<YMap>())
        {
            Assert.Equal("Secret", secret["kind"]?.AsString());
            Assert.Matches(DnsSubdomain(), secret["metadata"]?["name"]?.AsString() ?? string.Empty);
        }
    }

    [Theory]
    [MemberData(nameof(Deployable))]
    public void Render_AsOneResourceSet_ValidAgainstDaprReference(string kustomization)
    {
        // The files are validated one by one (ResourceFileTests scans deploy/); this checks what one
        // `kubectl apply -k` sends as a whole, e.g. that no second pubsub and no dangling resiliency target remain.
        var rendering = Kustomize.Render(kustomization);
        var text = Kustomize.ToYaml(rendering.Documents);
        var result = RepoResources.Validator().Validate([new ResourceFile($"render/{kustomization}.yaml", text)], ResourceScope.Kubernetes);
        Assert.True(result.Errors.Count == 0, $"{kustomization} ({rendering.Renderer}): {result.Describe()}");
    }

    [Theory]
    [MemberData(nameof(Deployable))]
    public void Render_FilesRead_AllScannedByTheResourceValidation(string kustomization)
    {
        // ResourceFileTests validates the YAML files it finds under deploy/; a resource file it does not find
        // (another extension, outside deploy/) would reach the cluster unchecked.
        var scanned = RepoResources.KubernetesFiles().Select(RepoPaths.Relative).ToHashSet(StringComparer.Ordinal);
        var unscanned = Kustomize.FromFiles(kustomization).FilesRead
            .Where(f => !scanned.Contains(f) && !f.EndsWith(".json", StringComparison.Ordinal)) // generator input, checked by KubernetesRoutesTests
            .ToList();
        Assert.True(unscanned.Count == 0, "rendered but not validated: " + string.Join(", ", unscanned));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void BrokerOverlay_Render_SameAsTheBaseButForThePubSub(string kustomization)
    {
        var baseObjects = Kustomize.Render(RepoPaths.Relative(Kustomize.Base)).Documents.Where(d => !IsPubSub(d)).ToDictionary(Kustomize.Id, Kustomize.Canonical);
        var overlay = Kustomize.Render(kustomization).Documents.Where(d => !IsPubSub(d)).ToDictionary(Kustomize.Id, Kustomize.Canonical);
        Assert.Equal(baseObjects.Keys.Order(StringComparer.Ordinal), overlay.Keys.Order(StringComparer.Ordinal));
        Assert.All(baseObjects, b => Assert.True(b.Value == overlay[b.Key], $"{kustomization} changes {b.Key}"));
    }

    /// <summary>Secrets shown by the example files a user of this kustomization applies: the base's and the overlay's own.</summary>
    public static HashSet<(string Name, string Key)> ExampleSecrets(string kustomization) =>
        ExampleFiles(kustomization)
            .SelectMany(Yaml.LoadFile).Select(d => d.Root).OfType<YMap>()
            .Where(d => d["kind"]?.AsString() == "Secret")
            .SelectMany(s => ((s["stringData"] as YMap)?.Keys ?? []).Concat((s["data"] as YMap)?.Keys ?? [])
                .Select(k => (s["metadata"]?["name"]?.AsString() ?? string.Empty, k)))
            .ToHashSet();

    private static IEnumerable<string> ExampleFiles(string kustomization) =>
        new[] { Kustomize.Base, RepoPaths.Combine(kustomization) }.Distinct()
            .SelectMany(d => Directory.GetFiles(d, "*secret.example.yaml"))
            .Order(StringComparer.Ordinal);

    /// <summary>Every (Secret, key) a render makes Kubernetes or Dapr read, and where.</summary>
    public static IEnumerable<(string Secret, string Key, string Where)> SecretReferences(KustomizeRendering rendering)
    {
        foreach (var component in rendering.DaprComponents())
        {
            // In a cluster every Dapr secretKeyRef ends at a Kubernetes Secret: through the built-in `kubernetes`
            // store or through our own secretstores.kubernetes component.
            foreach (var item in (component["spec"]?["metadata"] as YSeq)?.Items ?? [])
            {
                if (item["secretKeyRef"] is YMap reference)
                {
                    yield return (reference["name"]?.AsString() ?? string.Empty, reference["key"]?.AsString() ?? string.Empty,
                        $"{rendering.Directory}: Component {component["metadata"]?["name"]?.AsString()} {item["name"]?.AsString()}");
                }
            }
        }

        foreach (var deployment in rendering.OfKind("Deployment"))
        {
            var name = deployment["metadata"]?["name"]?.AsString();
            foreach (var (annotation, _) in KubernetesTokenTests.Tokens)
            {
                if (deployment["spec"]?["template"]?["metadata"]?["annotations"]?[annotation]?.AsString() is { } secret)
                {
                    yield return (secret, KubernetesTokenTests.InjectorSecretKey, $"{rendering.Directory}: Deployment {name} {annotation}");
                }
            }

            foreach (var container in (deployment["spec"]?["template"]?["spec"]?["containers"] as YSeq)?.Items ?? [])
            {
                foreach (var env in (container["env"] as YSeq)?.Items ?? [])
                {
                    if (env["valueFrom"]?["secretKeyRef"] is YMap reference)
                    {
                        yield return (reference["name"]?.AsString() ?? string.Empty, reference["key"]?.AsString() ?? string.Empty,
                            $"{rendering.Directory}: Deployment {name} env {env["name"]?.AsString()}");
                    }
                }
            }
        }
    }

    private static string? Setting(KustomizeRendering rendering, string app, string variable) =>
        ((Assert.Single(Assert.IsType<YSeq>(rendering.Single("Deployment", app)["spec"]?["template"]?["spec"]?["containers"]).Items)["env"] as YSeq)?.Items ?? [])
            .FirstOrDefault(e => e["name"]?.AsString() == variable)?["value"]?.AsString();

    private static bool IsPubSub(YMap document) =>
        document["kind"]?.AsString() == "Component" && document["spec"]?["type"]?.AsString()?.StartsWith("pubsub.", StringComparison.Ordinal) == true;

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex(@"^[-._a-zA-Z0-9]+$")]
    private static partial Regex SecretKey();
}
