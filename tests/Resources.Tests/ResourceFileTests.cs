using ModeRefresh.Resources.Tests.Infrastructure;
using ModeRefresh.Resources.Tests.Validation;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// Every YAML file in components/ and deploy/ against the project's Dapr facts (tests/Resources.Tests/Facts, in every
/// clone; FactsCrossCheckTests compares them with Dapr's own files): parses; apiVersion/kind known;
/// Components' type/version known, metadata names accepted, required fields and an authentication profile
/// satisfied, allowedValues respected, secretKeyRefs resolvable through auth.secretStore; every kind valid
/// against its shape (the fields and types of Dapr's CRDs that we use); resiliency targets and scopes naming
/// components and app ids that exist. The set is validated as a whole (cross-references), reported per file.
/// </summary>
public sealed class ResourceFileTests
{
    public static TheoryData<string> SelfHostedFiles() => new(RepoResources.SelfHostedFiles().Select(RepoPaths.Relative));

    public static TheoryData<string> KubernetesFiles() => new(RepoResources.KubernetesFiles().Select(RepoPaths.Relative));

    [Theory]
    [MemberData(nameof(SelfHostedFiles))]
    public void SelfHostedResource_ValidateAgainstFacts_NoErrors(string file) =>
        AssertNoErrors(file, ResourceScope.SelfHosted);

    [Theory]
    [MemberData(nameof(KubernetesFiles))]
    public void KubernetesResource_ValidateAgainstFacts_NoErrors(string file) =>
        AssertNoErrors(file, ResourceScope.Kubernetes);

    [Fact]
    public void ComponentTypes_AllInFacts_NoneUnchecked()
    {
        var notes = RepoResources.ValidateRepository(ResourceScope.SelfHosted).Notes
            .Concat(RepoResources.ValidateRepository(ResourceScope.Kubernetes).Notes)
            .ToList();

        var output = TestContext.Current.TestOutputHelper;
        foreach (var type in UsedComponentTypes().Order(StringComparer.Ordinal))
        {
            output?.WriteLine($"{type}: {(RepoResources.Facts().VersionsOf(type).Any() ? "checked against its facts" : "UNCHECKED (not in the facts)")}");
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
