using ModeRefresh.TestSupport;

namespace ModeRefresh.Bench.Lineage;

/// <summary>
/// A large project shaped like real ones: sources → staging views → intermediate (ephemeral and tables) → marts
/// (tables and incrementals) → exposures, plus seeds, snapshots and a test per mart, in two packages. Deterministic.
/// </summary>
internal static class BigProject
{
    public static (DbtProject Project, string[] Staging, string[] Marts, string[] Tests) Build(int models, int exposures, int padding)
    {
        var random = new Random(42);
        var p = new DbtProject("big_analytics") { PaddingBytes = padding };
        var sources = Enumerable.Range(0, Math.Max(1, models / 10)).Select(i => p.Source($"raw_{i % 40}", $"table_{i}")).ToArray();
        var seeds = Enumerable.Range(0, 50).Select(i => p.Seed($"seed_{i}")).ToArray();
        var snapshots = Enumerable.Range(0, 50).Select(i => p.Snapshot($"snap_{i}", [sources[random.Next(sources.Length)]])).ToArray();
        var stagingCount = models * 3 / 10;
        var intermediateCount = models * 3 / 10;
        var martCount = models - stagingCount - intermediateCount;
        var staging = Enumerable.Range(0, stagingCount).Select(i => p.Model(
            $"stg_{i}", "view",
            i % 25 == 0 ? [snapshots[random.Next(snapshots.Length)]] : i % 30 == 0 ? [seeds[random.Next(seeds.Length)]] : [sources[random.Next(sources.Length)]],
            package: i % 10 == 0 ? "shared_staging" : null)).ToArray();
        var intermediate = Enumerable.Range(0, intermediateCount).Select(i => p.Model(
            $"int_{i}", i % 3 == 0 ? "table" : "ephemeral", Pick(random, staging, 2 + random.Next(2)))).ToArray();
        var marts = Enumerable.Range(0, martCount).Select(i => p.Model(
            $"mart_{i}", i % 4 == 0 ? "incremental" : i % 7 == 0 ? "view" : "table", Pick(random, intermediate, 2 + random.Next(3)))).ToArray();
        var tests = marts.Where((_, i) => i % 2 == 0).Select((m, i) => p.Test($"not_null_mart_{i}_id", m)).ToArray();
        for (var i = 0; i < exposures; i++)
        {
            p.Exposure($"dashboard_{i}", "dashboard", Pick(random, marts, 1 + random.Next(3)), $"https://app.mode.com/big/reports/{i:x12}");
        }

        return (p, staging, marts, tests);
    }

    private static string[] Pick(Random random, string[] from, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => from[random.Next(from.Length)]).Distinct()];
}
