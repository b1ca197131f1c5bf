namespace ModeRefresh.Resources.Tests.Infrastructure;

/// <summary>Where the repository (found by tests/TestSupport) and Dapr's reference data are, the same way on every machine.</summary>
public static class RepoPaths
{
    public const string ReferenceEnvironmentVariable = "DAPR_REFERENCE_DIR";

    /// <summary>The repository root (<see cref="TestSupport.RepoPaths.Root"/>).</summary>
    public static string Root => TestSupport.RepoPaths.Root;

    public static string Combine(params string[] relative) => TestSupport.RepoPaths.Combine(relative);

    /// <summary>
    /// Dapr's reference data (CRDs, component metadata.yaml files): $DAPR_REFERENCE_DIR when set, else
    /// ../shared/dapr-reference beside the repository root. Null, with the places looked at, when neither exists.
    /// </summary>
    public static string? ReferenceDirectory(out string lookedAt)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(ReferenceEnvironmentVariable);
        var besideRepository = Path.GetFullPath(Path.Combine(Root, "..", "shared", "dapr-reference"));
        lookedAt = string.IsNullOrWhiteSpace(fromEnvironment)
            ? $"${ReferenceEnvironmentVariable} (not set) and {besideRepository}"
            : $"${ReferenceEnvironmentVariable}={fromEnvironment} and {besideRepository}";

        if (!string.IsNullOrWhiteSpace(fromEnvironment) && Directory.Exists(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        return Directory.Exists(besideRepository) ? besideRepository : null;
    }

    /// <summary>The reference directory, or a visible skip of the calling test when it is absent.</summary>
    public static string RequireReference()
    {
        var directory = ReferenceDirectory(out var lookedAt);
        if (directory is null)
        {
            Assert.Skip($"Dapr reference data not found (looked at {lookedAt}): the cross-check of the project's facts (tests/Resources.Tests/Facts) against Dapr's own CRDs and component metadata was not run. The validation of our YAML uses those facts and did run.");
        }

        return directory;
    }

    /// <summary>Repository-relative path with forward slashes, as used in messages.</summary>
    public static string Relative(string fullPath) => TestSupport.RepoPaths.Relative(fullPath);
}
