namespace ModeRefresh.Ingress.Tests;

internal static class RepoPaths
{
    /// <summary>The repository root: the folder holding ModeRefresh.sln above the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>../shared/dbt-cloud beside the clone, when the team's shared folder is there.</summary>
    public static string? DbtSamples =>
        Environment.GetEnvironmentVariable("DBT_SAMPLES_DIR") is { Length: > 0 } dir && Directory.Exists(dir) ? dir
        : Path.GetFullPath(Path.Combine(Root, "..", "shared", "dbt-cloud")) is var shared && Directory.Exists(shared) ? shared
        : null;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModeRefresh.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("ModeRefresh.sln not found above " + AppContext.BaseDirectory);
    }
}
