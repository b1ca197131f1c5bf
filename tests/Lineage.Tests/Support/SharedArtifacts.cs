namespace ModeRefresh.Lineage.Tests.Support;

/// <summary>
/// ../shared/dbt-cloud/artifacts beside the clone (or <c>DBT_ARTIFACTS_DIR</c>): the team's reference artifacts,
/// valid against dbt's schemas. A user's clone has no ../shared, so tests that read it skip with the reason.
/// </summary>
internal static class SharedArtifacts
{
    public static string RepoRoot { get; } = FindRoot();

    public static string? Directory =>
        Environment.GetEnvironmentVariable("DBT_ARTIFACTS_DIR") is { Length: > 0 } dir && System.IO.Directory.Exists(dir) ? dir
        : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "dbt-cloud", "artifacts")) is var shared && System.IO.Directory.Exists(shared) ? shared
        : null;

    /// <summary>The folder, or a visible skip.</summary>
    public static string RequireDirectory() =>
        Directory ?? throw SkipException("../shared/dbt-cloud/artifacts is not beside this clone (set DBT_ARTIFACTS_DIR to use another copy)");

    public static string Manifest => Path.Combine(RequireDirectory(), "manifest.json");

    public static string Scenario(string name) => Path.Combine(RequireDirectory(), name);

    public static string Schema(string file) => Path.Combine(RequireDirectory(), "schemas", file);

    private static Exception SkipException(string reason)
    {
        Assert.Skip(reason);
        return new InvalidOperationException("unreachable");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModeRefresh.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("ModeRefresh.sln not found above " + AppContext.BaseDirectory);
    }
}
