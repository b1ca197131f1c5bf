using ModeRefresh.Resources.Tests.Infrastructure;
using ModeRefresh.Resources.Tests.Validation;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// Every YAML file in components/ and deploy/ against Dapr's reference data: parses; apiVersion/kind known;
/// Components' type/version known, metadata names accepted, required fields and an authentication profile
/// satisfied, allowedValues respected, secretKeyRefs resolvable through auth.secretStore; Configuration,
/// Resiliency and Subscription valid against the CRD openAPIV3Schema; resiliency targets and scopes naming
/// components and app ids that exist. The set is validated as a whole (cross-references), reported per file.
/// </summary>
public sealed class ResourceFileTests
{
    public static TheoryData<string> SelfHostedFiles() => new(RepoResources.SelfHostedFiles().Select(RepoPaths.Relative));

    public static TheoryData<string> KubernetesFiles() => new(RepoResources.KubernetesFiles().Select(RepoPaths.Relative));

    [Theory]
    [MemberData(nameof(SelfHostedFiles))]
    public void SelfHostedResource_ValidateAgainstDaprReference_NoErrors(string file) =>
        AssertNoErrors(file, ResourceScope.SelfHosted);

    [Theory]
    [MemberData(nameof(KubernetesFiles))]
    public void KubernetesResource_ValidateAgainstDaprReference_NoErrors(string file) =>
        AssertNoErrors(file, ResourceScope.Kubernetes);

    [Fact]
    public void ComponentTypes_AllInReference_NoneUnchecked()
    {
        var notes = RepoResources.ValidateRepository(ResourceScope.SelfHosted).Notes
            .Concat(RepoResources.ValidateRepository(ResourceScope.Kubernetes).Notes)
            .ToList();

        var output = TestContext.Current.TestOutputHelper;
        foreach (var type in UsedComponentTypes().Order(StringComparer.Ordinal))
        {
            output?.WriteLine($"{type}: {(RepoResources.Reference().VersionsOf(type).Any() ? "checked against its metadata.yaml" : "UNCHECKED (no metadata.yaml in the reference)")}");
        }

        Assert.True(notes.Count == 0, "Components whose metadata could not be checked:" + Environment.NewLine + string.Join(Environment.NewLine, notes));
    }

    [Fact]
    public void ResourceFolders_Scan_FindTheExpectedFiles()
    {
        var files = RepoResources.SelfHostedFiles().Select(RepoPaths.Relative).ToList();
        Assert.Contains("components/statestore.yaml", files);
        Assert.Contains("components/resiliency.yaml", files);
        Assert.Contains("components/brokers/redis/pubsub.yaml", files);
        Assert.Contains("components/secretstores/local-file/secretstore.yaml", files);
        Assert.Contains("deploy/kubernetes/kustomization.yaml", RepoResources.KubernetesFiles().Select(RepoPaths.Relative));
    }

    private static void AssertNoErrors(string file, ResourceScope scope)
    {
        var result = RepoResources.ValidateRepository(scope);
        var errors = result.Errors.Where(e => e.File == file).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} problem(s):{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    private static IEnumerable<string> UsedComponentTypes() =>
        RepoResources.SelfHostedFiles().Concat(RepoResources.KubernetesFiles())
            .SelectMany(Yaml.LoadFile)
            .Select(d => d.Root)
            .OfType<YMap>()
            .Where(r => r["kind"]?.AsString() == "Component")
            .Select(r => r["spec"]?["type"]?.AsString())
            .OfType<string>()
            .Distinct();
}
