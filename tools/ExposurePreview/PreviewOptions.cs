namespace ModeRefresh.ExposurePreview;

/// <summary>What to preview, parsed from the command line (and DBT_CLOUD_API_TOKEN for the token).</summary>
public sealed record PreviewOptions
{
    public const string TokenVariable = "DBT_CLOUD_API_TOKEN";

    public string? Manifest { get; init; }
    public IReadOnlyList<string> RunResults { get; init; } = [];
    public string? Account { get; init; }
    public string? Run { get; init; }
    public string BaseUrl { get; init; } = "https://cloud.getdbt.com";
    public string? Token { get; init; }
    public bool IncludeErrored { get; init; }

    public bool FromFiles => Manifest is not null;

    public const string Usage = """
        exposure-preview: which Mode reports a dbt run would refresh through its exposures (Exposures:Enabled), and why.

          From a run's files (from dbt Cloud's run page or your target/ folder), one --run-results per step, in order:
            dotnet run --project tools/ExposurePreview -- --manifest manifest.json --run-results run_results.json [--run-results ...]

          From dbt Cloud, with the API token in the environment variable DBT_CLOUD_API_TOKEN (never on the command line):
            dotnet run --project tools/ExposurePreview -- --account 43786 --run 70001 [--base-url https://emea.dbt.com]

          --base-url URL       your account's Access URL (default https://cloud.getdbt.com)
          --include-errored    decide for an errored run too (as Exposures:IncludeErroredRuns=true)

        Exit code: 0 decided, 1 no decision (dbt Cloud failed, no artifacts, run not eligible), 2 bad arguments or files.
        """;

    /// <summary>Parses arguments; returns an error message for anything it does not understand.</summary>
    public static (PreviewOptions? Options, string? Error) Parse(IReadOnlyList<string> args, Func<string, string?> env)
    {
        var o = new PreviewOptions { Token = env(TokenVariable) };
        var runResults = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help") return (null, null);
            if (name is "--include-errored") { o = o with { IncludeErrored = true }; continue; }
            if (name is "--token" || name.StartsWith("--token=", StringComparison.Ordinal))
            {
                return (null, $"the token is read from {TokenVariable} only: a command-line argument shows in ps and shell history");
            }

            if (i + 1 >= args.Count) return (null, $"{name} needs a value");
            var value = args[++i];
            switch (name)
            {
                case "--manifest": o = o with { Manifest = value }; break;
                case "--run-results": runResults.Add(value); break;
                case "--account": o = o with { Account = value }; break;
                case "--run": o = o with { Run = value }; break;
                case "--base-url": o = o with { BaseUrl = value }; break;
                default: return (null, $"unknown option {name}");
            }
        }

        o = o with { RunResults = runResults };
        if (o.FromFiles)
        {
            if (o.Account is not null || o.Run is not null) return (null, "give either --manifest and --run-results, or --account and --run");
            if (runResults.Count == 0) return (null, "--manifest needs at least one --run-results (one per step of the run, in order)");
            return (o, null);
        }

        if (runResults.Count > 0) return (null, "--run-results needs --manifest");
        if (o.Account is null || o.Run is null) return (null, "give --manifest and --run-results, or --account and --run");
        if (string.IsNullOrEmpty(o.Token)) return (null, $"no token: set {TokenVariable} to a dbt Cloud API token that can read the account's runs");
        return (o, null);
    }
}
