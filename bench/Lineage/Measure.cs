using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ModeRefresh.Lineage;
using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Rule;

namespace ModeRefresh.Bench.Lineage;

/// <summary>The child process: N decisions, each with its time and peaks, one line per decision on stdout.</summary>
internal static class Measure
{
    public sealed record Row(string Mode, string Gc, int Run, double Milliseconds, double CpuMilliseconds, double RssAboveIdleMb, double ManagedAboveIdleMb, double AllocatedMb, string Gcs, int Reports)
    {
        public string ToLine() => string.Join(' ', Run, Milliseconds.ToString("0.0", CultureInfo.InvariantCulture), CpuMilliseconds.ToString("0.0", CultureInfo.InvariantCulture),
            RssAboveIdleMb.ToString("0.00", CultureInfo.InvariantCulture), ManagedAboveIdleMb.ToString("0.00", CultureInfo.InvariantCulture),
            AllocatedMb.ToString("0.00", CultureInfo.InvariantCulture), Gcs, Reports);

        public static Row Parse(string line, string mode, string gc)
        {
            var f = line.Split(' ');
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            return new Row(mode, gc, int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), D(5), f[6], int.Parse(f[7], CultureInfo.InvariantCulture));
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var (mode, manifest, baseUrl, runs) = (args[0], args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
        var runResults = args[4..];
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DbtCloud:BaseUrl"] = baseUrl,
                ["DbtCloud:MaxManifestBytes"] = (1L << 30).ToString(CultureInfo.InvariantCulture),
            }).Build())
            .AddLogging()
            .AddExposureLineage()
            .BuildServiceProvider();
        var router = services.GetRequiredService<ExposureRouter>();
        var token = Environment.GetEnvironmentVariable("DBT_CLOUD_API_TOKEN")!;

        Func<Task<ExposureDecision>> decide = mode == "files"
            ? async () =>
            {
                var graph = await ManifestReader.ReadFileAsync(manifest);
                var steps = new List<StepRunResults>();
                foreach (var file in runResults) steps.Add(new StepRunResults(Path.GetFileName(file), await RunResultsReader.ReadFileAsync(file)));
                return ExposureRule.Decide(graph, RunResultsSet.Merge(steps));
            }
            : async () => ((LineageOutcome.Decided)await router.DecideAsync("1", "2", 10, token, CancellationToken.None)).Decision;

        // Idle: the runtime started, the DI container built, none of the decision's code run yet.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        await Task.Delay(200);
        var idleRss = Rss();
        var idleManaged = GC.GetTotalMemory(forceFullCollection: true);

        for (var run = 1; run <= runs; run++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            ResetPeakRss();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var peakManaged = 0L;
            using var stop = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
                    await Task.Delay(2);
                }
            });

            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var decision = await decide();
            watch.Stop();
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
            await stop.CancelAsync();
            await sampler;
            var row = new Row(mode, "", run, watch.Elapsed.TotalMilliseconds, cpuUsed.TotalMilliseconds,
                (PeakRss() - idleRss) / 1048576.0,
                (peakManaged - idleManaged) / 1048576.0,
                (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0,
                $"{GC.CollectionCount(0) - gcs.Item1}/{GC.CollectionCount(1) - gcs.Item2}/{GC.CollectionCount(2) - gcs.Item3}",
                decision.Reports.Count);
            Console.WriteLine(row.ToLine());
        }

        return 0;
    }

    private static long Rss() => StatusKb("VmRSS:") * 1024;

    private static long PeakRss() => StatusKb("VmHWM:") * 1024;

    /// <summary>Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+), so each decision has its own peak.</summary>
    private static void ResetPeakRss() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long StatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException(field + " not in /proc/self/status");
    }
}
