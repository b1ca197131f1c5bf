namespace ModeRefresh.TestSupport;

/// <summary>
/// Where the repository and the team's shared facts are, found the same way by every suite: the root is the nearest
/// ancestor of the test binaries holding ModeRefresh.sln; the shared facts are <c>../shared/&lt;name&gt;</c> beside it,
/// or the folder an environment variable names. A user's clone has no ../shared: callers skip visibly then.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The repository root.</summary>
    public static string Root => RootLazy.Value;

    /// <summary>A path under the repository root.</summary>
    public static string Combine(params string[] relative) => Path.Combine([Root, .. relative]);

    /// <summary>Repository-relative path with forward slashes, as used in messages.</summary>
    public static string Relative(string fullPath) =>
        Path.GetRelativePath(Root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// The folder <paramref name="environmentVariable"/> names when it exists, else <c>../shared/</c>
    /// <paramref name="relative"/> beside the clone when it exists, else null.
    /// </summary>
    public static string? Shared(string environmentVariable, params string[] relative)
    {
        if (Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } dir && Directory.Exists(dir))
        {
            return dir;
        }

        var shared = Path.GetFullPath(Path.Combine([Root, "..", "shared", .. relative]));
        return Directory.Exists(shared) ? shared : null;
    }

    /// <summary>../shared/dbt-cloud (dbt webhook samples and signature vectors), or <c>DBT_SAMPLES_DIR</c>.</summary>
    public static string? DbtSamples => Shared("DBT_SAMPLES_DIR", "dbt-cloud");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModeRefresh.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ModeRefresh.sln not found above {AppContext.BaseDirectory}");
    }
}
