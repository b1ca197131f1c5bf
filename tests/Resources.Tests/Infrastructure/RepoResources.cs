using ModeRefresh.Resources.Tests.Validation;

namespace ModeRefresh.Resources.Tests.Infrastructure;

/// <summary>The repository's resource files and the validator over them.</summary>
public static class RepoResources
{
    /// <summary>The app ids of this system (dapr.yaml, compose and the Kubernetes annotations must agree).</summary>
    public static readonly IReadOnlySet<string> AppIds = new HashSet<string>(StringComparer.Ordinal) { "ingress", "refresh" };

    private static readonly Lock Gate = new();
    private static DaprReference? cached;
    private static DaprFacts? facts;

    /// <summary>Every YAML file under components/ (the self-hosted sets: dapr run and docker compose).</summary>
    public static IReadOnlyList<string> SelfHostedFiles() => YamlFilesUnder("components");

    /// <summary>Every YAML file under deploy/ (the Kubernetes base).</summary>
    public static IReadOnlyList<string> KubernetesFiles() => YamlFilesUnder("deploy");

    /// <summary>The project's own facts (tests/Resources.Tests/Facts), loaded once. Present in every clone.</summary>
    public static DaprFacts Facts()
    {
        lock (Gate)
        {
            return facts ??= DaprFacts.Load(RepoPaths.Combine("tests", "Resources.Tests", "Facts"));
        }
    }

    /// <summary>
    /// Dapr's own reference data (../shared/dapr-reference), loaded once, for the cross-check of the facts only;
    /// skips the calling test with the reason when it is absent.
    /// </summary>
    public static DaprReference Reference()
    {
        var directory = RepoPaths.RequireReference();
        lock (Gate)
        {
            return cached ??= new DaprReference(directory);
        }
    }

    /// <summary>The validator over the project's facts: needs nothing beside the repository.</summary>
    public static ResourceValidator Validator() => new(Facts(), AppIds);

    public static ValidationResult ValidateRepository(ResourceScope scope) => Validator().Validate(
        (scope == ResourceScope.Kubernetes ? KubernetesFiles() : SelfHostedFiles()).Select(ResourceFile.FromDisk),
        scope);

    private static List<string> YamlFilesUnder(string folder)
    {
        var directory = RepoPaths.Combine(folder);
        return !Directory.Exists(directory)
            ? []
            : Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToList();
    }
}
