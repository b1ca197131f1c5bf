namespace ModeRefresh.Lineage.Tests.Support;

/// <summary>
/// ../shared/dbt-cloud/artifacts beside the clone (or <c>DBT_ARTIFACTS_DIR</c>): the team's reference artifacts,
/// valid against dbt's schemas. A user's clone has no ../shared, so tests that read it skip with the reason.
/// </summary>
internal static class SharedArtifacts
{
    public static string RepoRoot => TestSupport.RepoPaths.Root;

    public static string? Directory => TestSupport.RepoPaths.Shared("DBT_ARTIFACTS_DIR", "dbt-cloud", "artifacts");

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
}
