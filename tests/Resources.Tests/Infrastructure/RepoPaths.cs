namespace ModeRefresh.Resources.Tests.Infrastructure;

/// <summary>Where the repository and Dapr's reference data are, found the same way on every machine.</summary>
public static class RepoPaths
{
    public const string ReferenceEnvironmentVariable = "DAPR_REFERENCE_DIR";

    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The repository root: the nearest ancestor of the test binaries holding ModeRefresh.sln.</summary>
    public static string Root => RootLazy.Value;

    public static string Combine(params string[] relative) => Path.Combine([Root, .. relative]);

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
    public static string Relative(string fullPath) =>
        Path.GetRelativePath(Root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ModeRefresh.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"ModeRefresh.sln not found above {AppContext.BaseDirectory}");
    }
}
