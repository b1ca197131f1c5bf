using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// The Dapr API tokens on Kubernetes: the sidecar injector gives the tokens of the `dapr.io/api-token-secret` and
/// `dapr.io/app-token-secret` annotations to the daprd container only — as DAPR_API_TOKEN and APP_API_TOKEN, from
/// key `token` of the named Secret (dapr/dapr v1.18.0 pkg/injector/patcher/sidecar_container.go,
/// getSidecarContainer). The app containers get only DAPR_HTTP_PORT, DAPR_GRPC_PORT and APP_PROTOCOL
/// (pkg/injector/patcher/sidecar_patcher.go, addDaprEnvVarsToContainers). So each app must read the same Secret
/// itself, or the sides disagree: a sidecar with an API token refuses every call of an app without it (Ingress
/// never loads its key); an app with APP_API_TOKEN refuses daprd when daprd has none (Refresh answers 401 to the
/// one /dapr/subscribe daprd asks, and gets no events) — and the other way round.
/// </summary>
public sealed class KubernetesTokenTests
{
    /// <summary>The annotation that gives daprd a token, and the variable the injector gives it as.</summary>
    public static readonly IReadOnlyList<(string Annotation, string Variable)> Tokens =
    [
        ("dapr.io/api-token-secret", "DAPR_API_TOKEN"), // read by the Dapr .NET SDK (both services)
        ("dapr.io/app-token-secret", "APP_API_TOKEN"), // read by Refresh (Auth/AppApiTokenExtensions.cs)
    ];

    /// <summary>The Secret key the injector reads, hard-coded in sidecar_container.go (v1.18.0).</summary>
    public const string InjectorSecretKey = "token";

    public static TheoryData<string> Deployable() => new(Kustomize.Deployable());

    [Theory]
    [MemberData(nameof(Deployable))]
    public void Deployments_TokensGivenToSidecar_GivenToAppFromTheSameSecretAndKey(string kustomization)
    {
        var rendering = Kustomize.Render(kustomization);
        var deployments = rendering.OfKind("Deployment").ToList();
        Assert.Equal(["ingress", "refresh"], deployments.Select(d => d["metadata"]?["name"]?.AsString()).Order(StringComparer.Ordinal));

        var problems = deployments.SelectMany(TokenMismatches).ToList();
        Assert.True(problems.Count == 0, $"{kustomization} ({rendering.Renderer}):{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(Deployable))]
    public void Deployments_SidecarTokens_ApiTokenForBothAndAppTokenForRefresh(string kustomization)
    {
        // Both sidecars refuse unauthenticated API calls; daprd authenticates itself to Refresh, whose endpoints
        // (subscription, dead letters) any pod in the cluster could reach otherwise. Ingress serves daprd nothing
        // but /healthz, which is open by design, so it gets no app token (least privilege).
        var rendering = Kustomize.Render(kustomization);
        string? Annotation(string app, string key) =>
            rendering.Single("Deployment", app)["spec"]?["template"]?["metadata"]?["annotations"]?[key]?.AsString();

        Assert.NotNull(Annotation("ingress", "dapr.io/api-token-secret"));
        Assert.NotNull(Annotation("refresh", "dapr.io/api-token-secret"));
        Assert.NotNull(Annotation("refresh", "dapr.io/app-token-secret"));
        Assert.Null(Annotation("ingress", "dapr.io/app-token-secret"));
    }

    [Fact]
    public void TokenMismatches_SidecarTokenOnly_NamesAppAnnotationAndVariable()
    {
        // The shape of main's Deployments before this fix: annotations, no env.
        var problems = TokenMismatches(Deployment(
            annotations: ("dapr.io/api-token-secret", "moderefresh-api-token"),
            env: [])).ToList();
        var problem = Assert.Single(problems);
        Assert.Contains("demo/demo", problem, StringComparison.Ordinal);
        Assert.Contains("DAPR_API_TOKEN", problem, StringComparison.Ordinal);
        Assert.Contains("moderefresh-api-token", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenMismatches_AppTokenOnly_Reported()
    {
        var problem = Assert.Single(TokenMismatches(Deployment(
            annotations: null,
            env: [("APP_API_TOKEN", "moderefresh-app-token", InjectorSecretKey)])));
        Assert.Contains("APP_API_TOKEN", problem, StringComparison.Ordinal);
        Assert.Contains("dapr.io/app-token-secret", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("other-secret", InjectorSecretKey)]
    [InlineData("moderefresh-api-token", "api-token")]
    public void TokenMismatches_OtherSecretOrKey_Reported(string secret, string key)
    {
        var problem = Assert.Single(TokenMismatches(Deployment(
            annotations: ("dapr.io/api-token-secret", "moderefresh-api-token"),
            env: [("DAPR_API_TOKEN", secret, key)])));
        Assert.Contains($"{secret}/{key}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenMismatches_SameSecretAndKey_None() =>
        Assert.Empty(TokenMismatches(Deployment(
            annotations: ("dapr.io/api-token-secret", "moderefresh-api-token"),
            env: [("DAPR_API_TOKEN", "moderefresh-api-token", InjectorSecretKey)])));

    /// <summary>Every way a Deployment's app containers and its sidecar disagree on a token.</summary>
    public static IEnumerable<string> TokenMismatches(YMap deployment)
    {
        var name = deployment["metadata"]?["name"]?.AsString();
        var template = deployment["spec"]?["template"];
        var annotations = template?["metadata"]?["annotations"];
        if (annotations?["dapr.io/enabled"]?.AsString() != "true")
        {
            yield break; // no sidecar, nothing injected
        }

        foreach (var container in (template?["spec"]?["containers"] as YSeq)?.Items ?? [])
        {
            var where = $"{name}/{container["name"]?.AsString()}";
            var env = (container["env"] as YSeq)?.Items ?? [];
            if (container["envFrom"] is not null)
            {
                yield return $"{where}: envFrom can set the token variables out of sight; set DAPR_API_TOKEN / APP_API_TOKEN explicitly";
            }

            foreach (var (annotation, variable) in Tokens)
            {
                var secret = annotations[annotation]?.AsString();
                var entries = env.Where(e => e["name"]?.AsString() == variable).ToList();
                if (entries.Count > 1)
                {
                    yield return $"{where}: {variable} is set {entries.Count} times";
                    continue;
                }

                var entry = entries.SingleOrDefault();
                if (secret is null && entry is null)
                {
                    continue;
                }

                if (secret is null)
                {
                    yield return $"{where}: the app gets {variable} but its sidecar gets no token (no {annotation} annotation), so the two disagree";
                    continue;
                }

                if (entry is null)
                {
                    yield return $"{where}: the sidecar gets {variable} from Secret {secret} key {InjectorSecretKey} ({annotation}), the app container does not; "
                        + $"add env {variable} valueFrom.secretKeyRef {{name: {secret}, key: {InjectorSecretKey}}}";
                    continue;
                }

                var reference = entry["valueFrom"]?["secretKeyRef"];
                var actual = $"{reference?["name"]?.AsString()}/{reference?["key"]?.AsString()}";
                if (entry["value"] is not null || reference is null)
                {
                    yield return $"{where}: {variable} must come from Secret {secret} key {InjectorSecretKey} (as the sidecar's does), not from a value";
                }
                else if (actual != $"{secret}/{InjectorSecretKey}")
                {
                    yield return $"{where}: {variable} comes from {actual}, the sidecar's from {secret}/{InjectorSecretKey} ({annotation})";
                }
            }
        }
    }

    private static YMap Deployment((string Key, string Value)? annotations, (string Name, string Secret, string Key)[] env)
    {
        var envYaml = string.Concat(env.Select(e => $$"""

                        - name: {{e.Name}}
                          valueFrom:
                            secretKeyRef: {name: {{e.Secret}}, key: {{e.Key}}}
            """));
        var text = $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: demo
            spec:
              template:
                metadata:
                  annotations:
                    dapr.io/enabled: "true"
                    {{(annotations is { } a ? $"{a.Key}: \"{a.Value}\"" : "dapr.io/app-id: demo")}}
                spec:
                  containers:
                    - name: demo
                      image: demo
                      env:{{(env.Length == 0 ? " []" : envYaml)}}
            """;
        return Assert.IsType<YMap>(Yaml.Load("planted/deployment.yaml", text).Single().Root);
    }
}
