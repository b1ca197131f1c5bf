using System.Globalization;
using System.Text;

namespace ModeRefresh.Bench.Runner;

/// <summary>Everything measured, as the report needs it.</summary>
internal sealed record Results(
    BenchSettings Settings, DateTime At, string Commit, bool Dirty, string DotnetVersion, string WrkVersion, string LoadAfter,
    int PayloadBytes, IReadOnlyList<LoadTarget> Targets, LoadTarget Ceiling, IReadOnlyDictionary<string, List<double>> Startups,
    IReadOnlyDictionary<string, long> RssKb, AotBuild Aot, IReadOnlyList<MicroSample> Micro, EndToEndResult? EndToEnd,
    string? EndToEndFailure);

/// <summary>Writes bench/results/&lt;date&gt;.md: every cell is median (min–max) over the runs unless it says otherwise.</summary>
internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(Results r)
    {
        var s = r.Settings;
        var md = new StringBuilder();
        void L(string line = "") => md.Append(line).Append('\n');
        void Row(params string[] cells) => L("| " + string.Join(" | ", cells) + " |");
        void Header(params string[] cells)
        {
            Row(cells);
            L("|" + string.Concat(Enumerable.Repeat("---|", cells.Length)));
        }
        var cores = Environment.ProcessorCount;
        var date = r.At.ToString("yyyy-MM-dd", Inv);
        var rows = r.Targets.Where(t => !t.Key.StartsWith("ceiling-", StringComparison.Ordinal)).Prepend(r.Ceiling).ToList();
        var sweep = r.Targets.Where(t => t.Key.StartsWith("ceiling-", StringComparison.Ordinal)).ToList();

        L($"# ModeRefresh benchmark, {date}");
        L();
        L(F($"Produced by `bash bench/run.sh` at {r.At:HH:mm} UTC on commit {r.Commit}{(r.Dirty ? " (with uncommitted changes)" : "")}."));
        L();
        L("## Machine");
        L();
        L(F($"- nproc: {cores}; CPU: {ProcFs.CpuModel()}"));
        L($"- memory: {ProcFs.MemoryTotal()}; kernel {ProcFs.Kernel()}");
        L($"- dotnet {r.DotnetVersion}; {r.WrkVersion}");
        L($"- load average (1/5/15 min) before the build: {s.LoadBefore}; after the load runs: {r.LoadAfter}.");
        L(F($"- other work on the machine during the load runs (CPU outside the bench's processes): {Spread.Of(rows.SelectMany(t => t.Samples).Select(x => x.OtherCores)).Format("F2")} cores of {cores}."));
        L("  Above a few hundredths it widens the spread and lowers every row; the CPU table below has it per row.");
        L(F($"- load: `wrk -t{s.Threads} -c{s.Connections} -d{s.Duration}s --latency`, {Runs(s.Runs)} per row after a {s.Warmup} s warm-up, interleaved"));
        L(F($"  (each round runs every row once). wrk, the service and the stand-in sidecar share the {cores} cores; nothing is pinned."));
        L(F($"  Payload: bench/payload.json ({r.PayloadBytes} bytes, a dbt job.run.completed), one key."));
        L();

        L(F($"## Is the load generator the limit? The ceiling at {string.Join(", ", sweep.Select(t => t.Threads))} wrk threads"));
        L();
        L(F($"The ceiling (row 1) at every wrk thread count in BENCH_GENERATOR_THREADS, {s.Connections} connections, interleaved with the rows below."));
        L("Cores busy = CPU seconds per second of the window: wrk (getrusage of the exited wrk), the bare endpoint (/proc/<pid>/stat),");
        L("other processes (/proc/stat minus both, the sidecar and the runner), and idle.");
        L();
        Header("wrk threads", "ceiling req/s", "bare endpoint CPU µs/req", "wrk CPU µs/req", "cores: wrk", "bare endpoint", "other", "idle");
        foreach (var t in sweep)
        {
            Row(F($"-t{t.Threads}{(t == r.Ceiling ? " (the load rows)" : "")}"), Cell(t, x => x.RequestsPerSecond, "F0"),
                Cell(t, x => x.ServiceUs, "F1"), Cell(t, x => x.WrkUs, "F1"), Med(t, x => x.WrkCores), Med(t, x => x.ServiceCores),
                Med(t, x => x.OtherCores), Med(t, x => x.IdleCores));
        }
        L();
        L(GeneratorVerdict(r, sweep, cores));
        L();

        L(F($"## Load (median (min–max) of {Runs(s.Runs)})"));
        L();
        Header("path", "req/s", "CPU µs/req of the measured process", "of ceiling", "p50 ms", "p99 ms", "p99.9 ms", "answers not as expected", "socket errors");
        foreach (var t in rows)
        {
            Row(t.Label, Cell(t, x => x.RequestsPerSecond, "F0"), Cell(t, x => x.ServiceUs, "F1"), OfCeiling(r, t).Format("F0", " %"),
                Cell(t, x => x.P50, "F2"), Cell(t, x => x.P99, "F2"), Cell(t, x => x.P999, "F2"), Unexpected(t), F($"{t.Samples.Sum(x => x.SocketErrors)}"));
        }
        L();
        if (!r.Aot.Note.StartsWith("not measured", StringComparison.Ordinal)) { L(r.Aot.Note); L(); }
        L("CPU µs/req: user + system time (/proc/<pid>/stat) the measured process (row 1: the bare endpoint; rows 2–3a: Ingress)");
        L("spent over the run, divided by the requests wrk counted. \"of ceiling\": each run against the ceiling run of the same round.");
        L("\"answers not as expected\": wrk counts answers with a status above 399, so a 202 row counts those and a 401 row counts the");
        L("rest; the exact status and body were checked once per path before the load.");
        L();
        L("## CPU per request and where the cores went (medians)");
        L();
        Header("path", "service µs/req", "sidecar µs/req", "wrk µs/req", "cores: service", "sidecar", "wrk", "other", "idle");
        foreach (var t in rows)
        {
            Row(t.Label, Med(t, x => x.ServiceUs, "F1"), Med(t, x => x.SidecarUs, "F1"), Med(t, x => x.WrkUs, "F1"), Med(t, x => x.ServiceCores),
                Med(t, x => x.SidecarCores), Med(t, x => x.WrkCores), Med(t, x => x.OtherCores), Med(t, x => x.IdleCores));
        }
        L();

        L(F($"## 4. Webhook → Mode end to end at {s.E2ERate} req/s"));
        L();
        if (r.EndToEnd is { } e)
        {
            L("Ingress → stand-in sidecar → shared stand-in broker → Refresh's stand-in sidecar → Refresh → fake Mode server, all on loopback;");
            L("latency from sending the signed webhook to the fake Mode server receiving the report-run call (bench/Runner/EndToEnd.cs).");
            L(F($"{Runs(s.Runs)} of {s.Duration} s at a steady {s.E2ERate} webhooks/s, each with a new dbt run id; {EndToEnd.Jobs} jobs routed to {EndToEnd.Jobs} reports."));
            L();
            Header("sent", "Mode calls", "failed sends", "p50 ms", "p99 ms", "max ms");
            Row(F($"{e.Runs.Sum(x => x.Sent)}"), F($"{e.Runs.Sum(x => x.ModeCalls)}"), F($"{e.Runs.Sum(x => x.FailedSends)}"),
                Spread.Of(e.Runs.Select(x => x.P50)).Format("F2"), Spread.Of(e.Runs.Select(x => x.P99)).Format("F2"), Spread.Of(e.Runs.Select(x => x.Max)).Format("F2"));
            L();
            L(F($"Latency cells: median (min–max) over the {Runs(s.Runs)} of each run's percentile ({s.E2ERate * s.Duration} samples per run)."));
        }
        else
        {
            L($"failed: {r.EndToEndFailure}");
        }
        L();

        L("## 5. Start to ready, memory");
        L();
        Header(F($"process"), F($"start → /readyz 200, ms (median (min–max) of {s.Runs} start{(s.Runs == 1 ? "" : "s")})"), "RSS after load");
        Row("ceiling (bench/Ceiling)", Start(r, "ceiling"), Mb(r.RssKb["ceiling"]));
        Row("Ingress", Start(r, "ingress"), Mb(r.RssKb["ingress"]));
        if (r.RssKb.TryGetValue("ingress-aot", out var aotRss)) Row("Ingress, Native AOT (the image build)", Start(r, "ingress-aot"), Mb(aotRss));
        Row("Refresh (idle: it gets no traffic in rows 1–3)", Start(r, "refresh"), Mb(r.RssKb["refresh"]));
        if (r.EndToEnd is { } e2)
        {
            Row("Ingress after the end-to-end runs (item 4)", "—", Mb(e2.IngressRssKb));
            Row("Refresh after the end-to-end runs (item 4)", "—", Mb(e2.RefreshRssKb));
        }
        Row("stand-in sidecar (bench/SidecarHost)", "—", Mb(r.RssKb["sidecar"]));
        L();
        L("Start is measured from launching `dotnet <dll>` (or the AOT binary) to the first 200 from `/readyz`, polled every ~5 ms");
        L("on a new connection; Ingress is ready once the sidecar answers and the webhook key is loaded, Refresh once the sidecar answers.");
        L();

        L(F($"## 6. Allocations per verified request (bench/Micro, in process, 200 000 iterations, {Runs(s.Runs)})"));
        L();
        Header("step", "bytes/op", "ns/op (median (min–max))");
        foreach (var name in r.Micro.Select(m => m.Name).Distinct())
        {
            var m = r.Micro.Where(x => x.Name == name).ToList();
            Row(name, Spread.Of(m.Select(x => x.Bytes)).FormatMedian("F0"), Spread.Of(m.Select(x => x.Nanoseconds)).Format("F0"));
        }
        L();
        L("verified-total = SignatureVerifier.Verify + DbtRunEventReader.TryRead + SerializeToUtf8Bytes (ContractsJsonContext)");
        L("+ EventPublisher.AddMetadata. The publish itself (queue, gRPC, protobuf) is not included here; it is in row 2.");
        L();

        L("## Against the goals of issue 6 (aimed at, not asserted)");
        L();
        var aotRow = (string key) => r.Targets.FirstOrDefault(t => t.Key == key) is { } t ? OfCeiling(r, t).FormatMedian("F0") + " %" : r.Aot.Note;
        var verified = r.Targets.Single(t => t.Key == "verified");
        var forged = r.Targets.Single(t => t.Key == "forged");
        Header("goal", "JIT build (`dapr run -f .`)", "Native AOT (the Ingress image)");
        Row("verified path ≥ 60 % of the ceiling", OfCeiling(r, verified).FormatMedian("F0") + " %", aotRow("aot-verified"));
        Row("forged path ≥ 80 % of the ceiling", OfCeiling(r, forged).FormatMedian("F0") + " %", aotRow("aot-forged"));
        Row("webhook → Mode p99 ≤ 50 ms", r.EndToEnd is { } e3 ? Spread.Of(e3.Runs.Select(x => x.P99)).FormatMedian("F2") + " ms" : "not measured (item 4 failed)", "—");
        Row("Ingress RSS ≤ 60 MB", Mb(r.RssKb["ingress"]), r.RssKb.TryGetValue("ingress-aot", out var a) ? Mb(a) : r.Aot.Note);
        Row("start to ready ≤ 0.5 s",
            F($"Ingress {StartMedian(r, "ingress")} ms, Refresh {StartMedian(r, "refresh")} ms (bare Kestrel: {StartMedian(r, "ceiling")} ms)"),
            r.Startups.ContainsKey("ingress-aot") ? $"Ingress {StartMedian(r, "ingress-aot")} ms" : r.Aot.Note);
        return md.ToString();
    }

    /// <summary>
    /// Says from the numbers whether more wrk threads raise the ceiling beyond the run-to-run spread of the thread count
    /// the load rows use (then the generator is the limit and the ratios are too high), or not.
    /// </summary>
    private static string GeneratorVerdict(Results r, IReadOnlyList<LoadTarget> sweep, int cores)
    {
        var used = r.Ceiling;
        var usedRps = Spread.Of(used.Samples.Select(x => x.RequestsPerSecond));
        var busy = F($"At -t{used.Threads} wrk used {Med(used, x => x.WrkCores)} cores, the bare endpoint {Med(used, x => x.ServiceCores)}, other work {Med(used, x => x.OtherCores)}; {Med(used, x => x.IdleCores)} of {cores} stayed idle.");
        var more = sweep.Where(t => t.Threads > used.Threads).ToList();
        var fewer = sweep.Where(t => t.Threads < used.Threads).Select(t =>
            F($"-t{t.Threads} reaches {Spread.Of(t.Samples.Select(x => x.RequestsPerSecond)).Median:F0} req/s ({Change(t, usedRps.Median)}) with wrk at {Med(t, x => x.WrkCores)} cores")).ToList();
        var fewerText = fewer.Count == 0 ? "" : " With fewer threads the generator does limit it: " + string.Join("; ", fewer) + ".";
        if (more.Count == 0)
            return $"Only -t{used.Threads} and fewer were measured (BENCH_GENERATOR_THREADS): whether more wrk threads raise the ceiling is not shown. {busy}{fewerText}";
        var best = more.MaxBy(t => Spread.Of(t.Samples.Select(x => x.RequestsPerSecond)).Median)!;
        var bestRps = Spread.Of(best.Samples.Select(x => x.RequestsPerSecond)).Median;
        var other = Spread.Of(sweep.SelectMany(t => t.Samples).Select(x => x.OtherCores)).Median;
        var caveat = other < 0.1 ? "" : F($" **Other work on the machine used {other:F2} cores during these runs**, and more wrk threads also win more of the shared cores from it: rerun on a quiet machine before trusting this comparison.");
        var moreText = string.Join(", ", more.Select(t => F($"-t{t.Threads} {Spread.Of(t.Samples.Select(x => x.RequestsPerSecond)).Median:F0} req/s ({Change(t, usedRps.Median)})")));
        if (bestRps > usedRps.Max && bestRps > usedRps.Median * 1.03)
            return F($"**The load generator limits the ceiling at -t{used.Threads}**: {moreText}, above the spread of -t{used.Threads} ({usedRps.Format("F0")}). The ratios below are too high; rerun with BENCH_THREADS={best.Threads}. {busy}{caveat}");
        return F($"More wrk threads do not raise the ceiling beyond the run-to-run spread at -t{used.Threads} ({usedRps.Format("F0")} req/s): {moreText}. So wrk is not what limits it at -t{used.Threads}. {busy}{fewerText}{caveat}");
    }

    private static string Change(LoadTarget t, double reference) =>
        F($"{(Spread.Of(t.Samples.Select(x => x.RequestsPerSecond)).Median / reference - 1) * 100:+0;-0;0} %");

    private static Spread OfCeiling(Results r, LoadTarget t) =>
        Spread.Of(t.Samples.Zip(r.Ceiling.Samples, (x, c) => 100 * x.RequestsPerSecond / c.RequestsPerSecond));

    private static string Unexpected(LoadTarget t)
    {
        var all = t.Samples.Sum(x => x.Requests);
        var status = t.Samples.Sum(x => x.Status4xx5xx);
        return F($"{(t.ExpectedStatus < 400 ? status : all - status)} of {all} (expected {t.ExpectedStatus})");
    }

    private static string Cell(LoadTarget t, Func<LoadSample, double> value, string format) => Spread.Of(t.Samples.Select(value)).Format(format);

    private static string Med(LoadTarget t, Func<LoadSample, double> value, string format = "F2") => Spread.Of(t.Samples.Select(value)).FormatMedian(format);

    private static string Start(Results r, string name) => Spread.Of(r.Startups[name]).Format("F0");

    private static string StartMedian(Results r, string name) => Spread.Of(r.Startups[name]).FormatMedian("F0");

    private static string Mb(long kb) => F($"{kb / 1024.0:F1} MB");

    private static string Runs(int n) => n == 1 ? "1 run" : F($"{n} runs");

    private static string F(FormattableString s) => s.ToString(Inv);
}
