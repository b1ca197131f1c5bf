using System.Text.Json;
using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// The fixed names and the drop-in layout: every broker folder defines `pubsub`, every secret-store folder
/// `secretstore`; the state store is Refresh's only; secrets are scoped per app; credentials come from
/// secretKeyRef; the example secrets file and the Dockerfiles are what the run modes expect.
/// </summary>
public sealed partial class LayoutTests
{
    public static TheoryData<string> BrokerFolders() => new(Folders("brokers"));

    public static TheoryData<string> SecretStoreFolders() => new(Folders("secretstores"));

    [Fact]
    public void Brokers_RequiredAlternatives_AllPresent() =>
        Assert.Subset(Folders("brokers").ToHashSet(), new HashSet<string>
        {
            "redis", "rabbitmq", "kafka", "jetstream", "azure-servicebus", "aws-snssqs", "gcp-pubsub",
        });

    [Fact]
    public void SecretStores_RequiredAlternatives_AllPresent() =>
        Assert.Subset(Folders("secretstores").ToHashSet(), new HashSet<string>
        {
            "local-file", "env", "kubernetes", "vault", "azure-keyvault", "aws-secretsmanager",
        });

    [Theory]
    [MemberData(nameof(BrokerFolders))]
    public void BrokerFolder_SinglePubSubComponent_NamedPubsubScopedToBothApps(string broker)
    {
        var folder = RepoPaths.Combine("components", "brokers", broker);
        Assert.Equal(["pubsub.yaml"], Directory.GetFiles(folder).Select(Path.GetFileName));
        var component = Yaml.LoadSingleMap(Path.Combine(folder, "pubsub.yaml"));
        Assert.Equal("pubsub", component["metadata"]?["name"]?.AsString());
        Assert.StartsWith("pubsub.", component["spec"]?["type"]?.AsString() ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(["ingress", "refresh"], Scopes(component));
    }

    [Theory]
    [MemberData(nameof(SecretStoreFolders))]
    public void SecretStoreFolder_SingleComponent_NamedSecretstore(string store)
    {
        var folder = RepoPaths.Combine("components", "secretstores", store);
        Assert.Equal(["secretstore.yaml"], Directory.GetFiles(folder).Select(Path.GetFileName));
        var component = Yaml.LoadSingleMap(Path.Combine(folder, "secretstore.yaml"));
        Assert.Equal("secretstore", component["metadata"]?["name"]?.AsString());
        Assert.StartsWith("secretstores.", component["spec"]?["type"]?.AsString() ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void ComponentsRoot_SharedResources_NoBrokerOrSecretStore()
    {
        // Dapr refuses two components of one name across the folders it loads: the root holds only what every
        // broker / secret-store choice shares, so swapping one folder is enough.
        var kinds = Directory.GetFiles(RepoPaths.Combine("components"), "*.yaml")
            .Select(f => Yaml.LoadSingleMap(f))
            .Select(d => $"{d["kind"]?.AsString()}/{d["metadata"]?["name"]?.AsString()}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(["Component/statestore", "Resiliency/moderefresh-resiliency"], kinds);
    }

    [Theory]
    [InlineData("components/statestore.yaml")]
    [InlineData("deploy/kubernetes/components/statestore.yaml")]
    public void StateStore_Scopes_RefreshOnly(string file)
    {
        var component = Yaml.LoadSingleMap(RepoPaths.Combine(file));
        Assert.Equal("statestore", component["metadata"]?["name"]?.AsString());
        Assert.Equal(["refresh"], Scopes(component));
    }

    [Theory]
    [InlineData("components/config/ingress.yaml", "DBT_WEBHOOK_KEY")]
    [InlineData("components/config/refresh.yaml", "DBT_CLOUD_API_TOKEN", "MODE_API_SECRET", "MODE_API_TOKEN")]
    [InlineData("deploy/kubernetes/configuration-ingress.yaml", "dbt-webhook-key")]
    [InlineData("deploy/kubernetes/configuration-refresh.yaml", "dbt-cloud-api-token", "mode-api-secret", "mode-api-token")]
    public void Configuration_SecretScopes_DenyAllButTheAppsOwn(string file, params string[] allowed)
    {
        var configuration = Yaml.LoadSingleMap(RepoPaths.Combine(file));
        var scope = Assert.Single(Assert.IsType<YSeq>(configuration["spec"]?["secrets"]?["scopes"]).Items);
        Assert.Equal("secretstore", scope["storeName"]?.AsString());
        Assert.Equal("deny", scope["defaultAccess"]?.AsString());
        Assert.Equal(allowed, Assert.IsType<YSeq>(scope["allowedSecrets"]).Items.Select(i => i.AsString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Credentials_InAllComponents_ComeFromSecretKeyRef()
    {
        var files = RepoResources.SelfHostedFiles().Concat(RepoResources.KubernetesFiles());
        foreach (var file in files)
        {
            foreach (var document in Yaml.LoadFile(file).Select(d => d.Root).OfType<YMap>().Where(d => d["kind"]?.AsString() == "Component"))
            {
                foreach (var item in (document["spec"]?["metadata"] as YSeq)?.Items ?? [])
                {
                    var name = item["name"]?.AsString() ?? string.Empty;
                    Assert.False(HoldsPlainCredential(name, item["value"]?.AsString()),
                        $"{RepoPaths.Relative(file)}: {name} holds a credential in plain text; use secretKeyRef");
                }
            }
        }
    }

    [Theory]
    [InlineData("connectionString", "amqp://localhost:5672", false)]
    [InlineData("connectionString", "amqp://guest:guest@localhost:5672", true)]
    [InlineData("connectionString", "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b", true)]
    [InlineData("redisPassword", "secret", true)]
    [InlineData("vaultTokenMountPath", "/var/run/secrets/vault/token", false)]
    [InlineData("redisHost", "localhost:6379", false)]
    public void HoldsPlainCredential_Value_FlagsSecretsButNotACredentialFreeAddress(string name, string value, bool expected) =>
        Assert.Equal(expected, HoldsPlainCredential(name, value));

    [Fact]
    public void SecretsExample_Names_ExactlyTheAppsSecrets()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(RepoPaths.Combine("components", "secrets.example.json")));
        Assert.Equal(["DBT_CLOUD_API_TOKEN", "DBT_WEBHOOK_KEY", "MODE_API_SECRET", "MODE_API_TOKEN"], json.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(json.RootElement.EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
    }

    [Fact]
    public void Secrets_RealFile_IgnoredByGitAndDocker()
    {
        Assert.Contains(File.ReadAllLines(RepoPaths.Combine(".gitignore")), l => l.Trim() is "secrets.json" or "**/secrets.json" or "components/secrets.json");
        Assert.Contains(File.ReadAllLines(RepoPaths.Combine(".dockerignore")), l => l.Trim() is "**/secrets.json");
    }

    [Theory]
    [InlineData("Ingress")]
    [InlineData("Refresh")]
    public void Dockerfile_EveryReferencedProject_CopiedForRestoreAndBuild(string service)
    {
        // A project the service references but the image build does not copy fails `dotnet restore` in docker only.
        var copies = File.ReadAllLines(RepoPaths.Combine("services", service, "Dockerfile"))
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)).ToList();
        var pending = new Stack<string>([RepoPaths.Combine("services", service, $"ModeRefresh.{service}.csproj")]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var project))
        {
            if (!seen.Add(Path.GetFullPath(project)))
            {
                continue;
            }

            var folder = RepoPaths.Relative(Path.GetDirectoryName(Path.GetFullPath(project))!).Replace('\\', '/');
            var csproj = $"{folder}/{Path.GetFileName(project)}";
            Assert.Contains(copies, l => l.StartsWith($"COPY {csproj} ", StringComparison.Ordinal));
            Assert.Contains(copies, l => l.StartsWith($"COPY {folder}/ ", StringComparison.Ordinal));
            foreach (var reference in System.Xml.Linq.XDocument.Load(project).Descendants("ProjectReference"))
            {
                pending.Push(Path.Combine(Path.GetDirectoryName(project)!, reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar)));
            }
        }
    }

    [Theory]
    [InlineData("Ingress", 5080, true)]
    [InlineData("Refresh", 5090, false)]
    public void Dockerfile_MultiStageNonRoot_CopiesBuildSettingsAndExposesAppPort(string service, int port, bool nativeAot)
    {
        var lines = File.ReadAllLines(RepoPaths.Combine("services", service, "Dockerfile"));
        Assert.True(lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)) >= 2, "multi-stage build expected");
        var copies = string.Join('\n', lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)));
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", $"services/{service}/ModeRefresh.{service}.csproj", "services/Contracts/ModeRefresh.Contracts.csproj" })
        {
            Assert.Contains(file, copies, StringComparison.Ordinal);
        }

        var user = lines.LastOrDefault(l => l.StartsWith("USER ", StringComparison.Ordinal))?[5..].Trim();
        Assert.True(user is "$APP_UID" or "app" || (int.TryParse(user, out var uid) && uid > 0), $"the final stage must run as a non-root user, found USER {user}");
        Assert.Contains($"EXPOSE {port}", lines);
        Assert.Contains(lines, l => l.Contains($"ASPNETCORE_HTTP_PORTS={port}", StringComparison.Ordinal));
        var entry = Assert.Single(lines, l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal));
        var finalBase = lines.Last(l => l.StartsWith("FROM ", StringComparison.Ordinal));
        if (nativeAot)
        {
            // The native binary on a runtime-deps base (no .NET runtime), restored and published for AOT alike.
            Assert.Contains($"[\"./ModeRefresh.{service}\"]", entry, StringComparison.Ordinal);
            Assert.Contains("/dotnet/runtime-deps:", finalBase, StringComparison.Ordinal);
            Assert.Contains("-aot", lines.First(l => l.StartsWith("FROM ", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Contains(lines, l => l.Contains("dotnet restore", StringComparison.Ordinal) && l.Contains("-p:PublishAot=true", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("dotnet publish", StringComparison.Ordinal) && l.Contains("-p:PublishAot=true", StringComparison.Ordinal));
        }
        else
        {
            Assert.Contains($"ModeRefresh.{service}.dll", entry, StringComparison.Ordinal);
            Assert.Contains("/dotnet/aspnet:", finalBase, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A metadata value that is a credential in plain text. A connection string with no user info, query or keys
    /// (amqp://localhost:5672, a local broker's default user) names no credential.
    /// </summary>
    private static bool HoldsPlainCredential(string name, string? value) =>
        value is not null
        && SensitiveName().IsMatch(name)
        && !name.EndsWith("Path", StringComparison.Ordinal)
        && !(name.EndsWith("connectionString", StringComparison.OrdinalIgnoreCase) && CredentialFreeUrl().IsMatch(value));

    private static List<string> Folders(string kind) =>
        Directory.GetDirectories(RepoPaths.Combine("components", kind)).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> Scopes(YMap component) =>
        ((component["scopes"] as YSeq)?.Items ?? []).Select(s => s.AsString()).OfType<string>().Order(StringComparer.Ordinal);

    [GeneratedRegex("(?i)(password|secret|token|accesskey|connectionstring|privatekey|saslpassword)$")]
    private static partial Regex SensitiveName();

    /// <summary>scheme://host[:port][/path] with no user info, query or key=value pairs.</summary>
    [GeneratedRegex(@"^[a-z][a-z0-9+.-]*://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~%-]*)?$")]
    private static partial Regex CredentialFreeUrl();
}
