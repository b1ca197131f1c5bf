using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModeRefresh.Lineage;
using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Rule;

namespace ModeRefresh.ExposurePreview;

/// <summary>The tool's whole run, with its outputs injectable so tests can drive it.</summary>
public static class Preview
{
    private const int MaxCell = 48;

    /// <returns>0 when a decision was made, 1 when none could be (dbt Cloud failure, no artifacts, not eligible), 2 on bad arguments or files.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> env, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var (o, error) = PreviewOptions.Parse(args, env);
        if (o is null)
        {
            if (error is not null) await stderr.WriteLineAsync("error: " + error);
            await stderr.WriteLineAsync(PreviewOptions.Usage);
            return error is null ? 0 : 2;
        }

        return o.FromFiles ? await FromFilesAsync(o, stdout, stderr, ct) : await FromDbtCloudAsync(o, stdout, stderr, ct);
    }

    private static async Task<int> FromFilesAsync(PreviewOptions o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        string file = o.Manifest!;
        try
        {
            var manifest = await ManifestReader.ReadFileAsync(file, ct);
            var steps = new List<StepRunResults>();
            foreach (var path in o.RunResults)
            {
                file = path;
                steps.Add(new StepRunResults(Path.GetFileName(path), await RunResultsReader.ReadFileAsync(path, ct)));
            }

            var decision = ExposureRule.Decide(manifest, RunResultsSet.Merge(steps));
            await stdout.WriteLineAsync(decision.Explanation);
            await WriteTableAsync(stdout, decision);
            return 0;
        }
        catch (DbtArtifactFormatException ex)
        {
            await stderr.WriteLineAsync($"error: {file}: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot read {file}: {ex.Message}");
            return 2;
        }
    }

    private static async Task<int> FromDbtCloudAsync(PreviewOptions o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        // The service's own registration: the same client, options validation and resilience pipeline.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DbtCloud:BaseUrl"] = o.BaseUrl,
            ["DbtCloud:TokenSecretName"] = PreviewOptions.TokenVariable,
            ["Exposures:IncludeErroredRuns"] = o.IncludeErrored ? "true" : "false",
        }).Build();
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddExposureLineage()
            .BuildServiceProvider();

        LineageOutcome outcome;
        try
        {
            outcome = await services.GetRequiredService<ExposureRouter>().DecideAsync(o.Account!, o.Run!, null, o.Token!, ct);
        }
        catch (OptionsValidationException ex)
        {
            await stderr.WriteLineAsync("error: " + string.Join("; ", ex.Failures).Replace("DbtCloud:BaseUrl", "--base-url", StringComparison.Ordinal));
            return 2;
        }

        await stdout.WriteLineAsync(outcome.Explanation);
        if (outcome is LineageOutcome.Decided decided)
        {
            await WriteTableAsync(stdout, decided.Decision);
            return 0;
        }

        return 1;
    }

    /// <summary>One row per exposure: refreshed, blocked, untouched, then ignored, with the report and the reason.</summary>
    internal static async Task WriteTableAsync(TextWriter stdout, ExposureDecision decision)
    {
        var rows = new List<string[]> { new[] { "EXPOSURE", "OUTCOME", "MODE REPORT", "WHY" } };
        rows.AddRange(decision.Refreshed.Select(r => new[]
        {
            r.Name, "refresh", r.Report.ToString(),
            $"{DecisionExplainer.ShortNode(r.ChangedNode)} ran" + (r.Report.ParametersJson == "{}" ? "" : $"; parameters {r.Report.ParametersJson}"),
        }));
        rows.AddRange(decision.Blocked.Select(b => new[]
        {
            b.Name, "blocked", b.Report.ToString(), $"{DecisionExplainer.ShortNode(b.BlockingNode)}: {DecisionExplainer.StatusText(b.BlockingStatus)}",
        }));
        rows.AddRange(decision.Untouched.Select(u => new[] { u.Name, "untouched", u.Report.ToString(), "nothing upstream ran" }));
        rows.AddRange(decision.Ignored.Select(i => new[] { i.Name, "ignored", "-", i.Reason }));

        var widths = Enumerable.Range(0, 3).Select(c => rows.Max(r => Math.Min(MaxCell, r[c].Length))).ToArray();
        await stdout.WriteLineAsync();
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var c = 0; c < 3; c++)
            {
                line.Append(Cell(row[c]).PadRight(widths[c])).Append("  ");
            }

            line.Append(row[3]);
            await stdout.WriteLineAsync(line.ToString());
        }

        await stdout.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{decision.Reports.Count} report(s) to run; {decision.Refreshed.Count} refreshed, {decision.Blocked.Count} blocked, {decision.UntouchedCount} untouched, {decision.Ignored.Count} ignored."));
    }

    private static string Cell(string text) => text.Length <= MaxCell ? text : string.Concat(text.AsSpan(0, MaxCell - 1), "…");
}
