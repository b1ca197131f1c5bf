using System.Diagnostics;
using System.Globalization;
using System.Text;
using ModeRefresh.Bench.Lineage;
using ModeRefresh.TestSupport;

// Time and peak memory of one exposure decision (issue 13, item 6) on a generated manifest of ~100 MB.
//   dotnet run -c Release --project bench/Lineage [-- --models 20000 --exposures 1000 --padding 1700 --runs 5 --out FILE]
// The parent generates the artifacts into a temp folder and serves them from a fake dbt Cloud on loopback; each
// measurement runs in a fresh child process (workstation GC, then server GC) so that generation leaves nothing in
// the measured process. Child mode: measure <files|api> <manifest> <base-url> <runs> <run_results...>
if (args.Length > 0 && args[0] == "measure")
{
    return await Measure.RunAsync(args[1..]);
}

var options = ParseOptions(args);
var loadBefore = LoadAverage();
var dir = Directory.CreateTempSubdirectory("moderefresh-bench-lineage-").FullName;
try
{
    var generate = Stopwatch.StartNew();
    var (project, staging, marts, tests) = BigProject.Build(options.Models, options.Exposures, options.Padding);
    var manifest = Path.Combine(dir, "manifest.json");
    project.WriteManifestFile(manifest);
    // The heaviest realistic run: a full `dbt build` (every model and test), then `dbt docs generate`.
    var build = Path.Combine(dir, "run_results.step4.json");
    DbtRunResults.WriteFile(build, "build",
        project.NodeIds.Select(id => new DbtResult(id, id.StartsWith("test.", StringComparison.Ordinal) ? "pass" : "success")), compiledCodePadding: 1500);
    var docs = Path.Combine(dir, "run_results.step5.json");
    DbtRunResults.WriteFile(docs, "generate", project.NodeIds.Where(id => id.StartsWith("model.", StringComparison.Ordinal)).Select(id => new DbtResult(id, "success")));
    generate.Stop();
    var manifestBytes = new FileInfo(manifest).Length;
    Console.Error.WriteLine($"generated {manifestBytes / 1e6:0.0} MB manifest, {new FileInfo(build).Length / 1e6:0.0} MB + {new FileInfo(docs).Length / 1e6:0.0} MB run_results in {generate.Elapsed.TotalSeconds:0.0} s ({dir})");

    const string token = "bench-token";
    await using var dbt = await FakeDbtCloudServer.StartAsync(token, 1);
    dbt.AddRun(new FakeDbtRun(1, 2, 10, [
        .. FakeDbtRun.PlatformSteps,
        new FakeDbtStep(4, "Invoke dbt build") { RunResults = FakeArtifact.FromFile(build), Manifest = FakeArtifact.FromFile(manifest) },
        new FakeDbtStep(5, "Invoke dbt docs generate") { RunResults = FakeArtifact.FromFile(docs), Manifest = FakeArtifact.FromFile(manifest) },
    ]));

    var rows = new List<Measure.Row>();
    foreach (var (mode, gc) in new[] { ("files", "workstation"), ("api", "workstation"), ("files", "server"), ("api", "server") })
    {
        rows.AddRange(await RunChild(mode, gc, manifest, dbt.BaseUrl, options.Runs, [build, docs]));
    }

    var report = Report(options, manifestBytes, new FileInfo(build).Length, new FileInfo(docs).Length, project, staging, marts, tests, rows, (loadBefore, LoadAverage()));
    Console.WriteLine(report);
    if (options.Out is not null)
    {
        await File.WriteAllTextAsync(options.Out, report);
        Console.Error.WriteLine($"wrote {options.Out}");
    }

    return 0;
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static async Task<IReadOnlyList<Measure.Row>> RunChild(string mode, string gc, string manifest, string baseUrl, int runs, string[] runResults)
{
    var self = Environment.ProcessPath!;
    var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
    if (self.EndsWith("dotnet", StringComparison.Ordinal)) start.ArgumentList.Add(typeof(BigProject).Assembly.Location);
    foreach (var a in new[] { "measure", mode, manifest, baseUrl, runs.ToString(CultureInfo.InvariantCulture) }.Concat(runResults)) start.ArgumentList.Add(a);
    start.Environment["DOTNET_gcServer"] = gc == "server" ? "1" : "0";
    start.Environment["DBT_CLOUD_API_TOKEN"] = "bench-token";
    using var child = Process.Start(start)!;
    var output = await child.StandardOutput.ReadToEndAsync();
    await child.WaitForExitAsync();
    if (child.ExitCode != 0) throw new InvalidOperationException($"measure {mode} ({gc} GC) exited {child.ExitCode}");
    return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => Measure.Row.Parse(line, mode, gc))];
}

static string Report(
    (int Models, int Exposures, int Padding, int Runs, string? Out) o, long manifestBytes, long buildBytes, long docsBytes,
    DbtProject project, string[] staging, string[] marts, string[] tests, IReadOnlyList<Measure.Row> rows, (string Before, string After) load)
{
    var inv = CultureInfo.InvariantCulture;
    var s = new StringBuilder();
    s.AppendLine(inv, $"# Exposure decision benchmark, {DateTime.UtcNow:yyyy-MM-dd}");
    s.AppendLine();
    s.AppendLine(inv, $"Produced by `dotnet run -c Release --project bench/Lineage` at {DateTime.UtcNow:HH:mm} UTC ({Environment.ProcessorCount} cores, {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}).");
    s.AppendLine();
    s.AppendLine("## What was decided");
    s.AppendLine();
    s.AppendLine(inv, $"- manifest.json: **{manifestBytes / 1e6:0.0} MB**, {project.NodeIds.Count(id => id.StartsWith("model.", StringComparison.Ordinal))} models ({staging.Length} staging views, marts {marts.Length}), {tests.Length} tests, {o.Exposures} exposures on Mode reports, seeds, snapshots, two packages; {o.Padding} bytes of SQL per model.");
    s.AppendLine(inv, $"- run_results.json: step 4 `dbt build` ({buildBytes / 1e6:0.0} MB, every model and test), step 5 `dbt docs generate` ({docsBytes / 1e6:0.0} MB, set aside as read-only).");
    s.AppendLine("- one decision = read the manifest and both run_results as streams + the rule + the explanation. `files`: from disk; `api`: `ExposureRouter.DecideAsync` against the fake dbt Cloud on loopback (Retrieve Run, 5 run_results requests, the manifest streamed over HTTP).");
    s.AppendLine(inv, $"- load average (1/5/15 min) before: {load.Before}; after: {load.After}. The machine is shared: wall time moves with the load, CPU time much less.");
    s.AppendLine("- each row set is a fresh process; \"idle\" is its RSS and managed heap after start-up, before the first decision. RSS peak is the kernel's VmHWM, reset before each decision (`/proc/self/clear_refs`); managed peak is sampled every 2 ms.");
    s.AppendLine();
    s.AppendLine("| source | GC | run | wall ms | CPU ms | RSS above idle MB (peak) | managed heap above idle MB (peak) | allocated MB | gen0/1/2 GCs | reports |");
    s.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
    foreach (var r in rows)
    {
        s.AppendLine(inv, $"| {r.Mode} | {r.Gc} | {r.Run} | {r.Milliseconds:0} | {r.CpuMilliseconds:0} | {r.RssAboveIdleMb:0.0} | {r.ManagedAboveIdleMb:0.0} | {r.AllocatedMb:0.0} | {r.Gcs} | {r.Reports} |");
    }

    s.AppendLine();
    s.AppendLine("Per source and GC, over the warm runs (2..N): median wall ms (min–max), median CPU ms, worst RSS above idle:");
    s.AppendLine();
    foreach (var group in rows.Where(r => r.Run > 1).GroupBy(r => (r.Mode, r.Gc)))
    {
        var wall = group.Select(r => r.Milliseconds).Order().ToArray();
        var cpu = group.Select(r => r.CpuMilliseconds).Order().ToArray();
        s.AppendLine(inv, $"- {group.Key.Mode}, {group.Key.Gc} GC: {wall[wall.Length / 2]:0} ms ({wall[0]:0}–{wall[^1]:0}), CPU {cpu[cpu.Length / 2]:0} ms, {group.Max(r => r.RssAboveIdleMb):0.0} MB");
    }

    s.AppendLine();
    s.AppendLine(inv, $"Goal (issue 13): ≤ 1 s and ≤ 64 MB above idle per decision. Worst RSS above idle of any run, JIT included: {rows.Max(r => r.RssAboveIdleMb):0.0} MB.");
    return s.ToString();
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";

static (int Models, int Exposures, int Padding, int Runs, string? Out) ParseOptions(string[] args)
{
    var o = (Models: 20_000, Exposures: 1_000, Padding: 1_700, Runs: 5, Out: (string?)null);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        var value = args[i + 1];
        switch (args[i])
        {
            case "--models": o.Models = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--exposures": o.Exposures = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--padding": o.Padding = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--runs": o.Runs = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--out": o.Out = value; break;
            default: throw new ArgumentException($"unknown option {args[i]}");
        }
    }

    return o;
}
