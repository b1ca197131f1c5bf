using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Rule;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests.Support;

/// <summary>Runs the rule on in-memory artifacts, as the service does on streamed ones.</summary>
internal static class Decide
{
    public static async Task<ManifestGraph> ManifestAsync(byte[] manifest) =>
        await ManifestReader.ReadAsync(new MemoryStream(manifest), TestContext.Current.CancellationToken);

    public static async Task<ExposureDecision> WithAsync(byte[] manifest, params byte[][] runResultsPerStep)
    {
        var graph = await ManifestAsync(manifest);
        var steps = new List<StepRunResults>();
        for (var i = 0; i < runResultsPerStep.Length; i++)
        {
            var artifact = await RunResultsReader.ReadAsync(new MemoryStream(runResultsPerStep[i]), TestContext.Current.CancellationToken);
            steps.Add(new StepRunResults($"step {4 + i}", artifact));
        }

        return ExposureRule.Decide(graph, RunResultsSet.Merge(steps));
    }

    public static Task<ExposureDecision> WithAsync(DbtProject project, params byte[][] runResultsPerStep) =>
        WithAsync(project.ManifestBytes(), runResultsPerStep);

    /// <summary>The refreshed exposures' names, sorted, for set comparisons.</summary>
    public static string[] Refreshed(this ExposureDecision d) => [.. d.Refreshed.Select(r => r.Name).Order(StringComparer.Ordinal)];

    public static string[] BlockedNames(this ExposureDecision d) => [.. d.Blocked.Select(b => b.Name).Order(StringComparer.Ordinal)];

    /// <summary>The untouched exposures' names, in manifest order.</summary>
    public static string[] UntouchedNames(this ExposureDecision d) => [.. d.Untouched.Select(u => u.Name)];

    public static string[] IgnoredNames(this ExposureDecision d) => [.. d.Ignored.Select(i => i.Name).Order(StringComparer.Ordinal)];
}
