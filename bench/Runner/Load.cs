using System.Diagnostics;
using System.Globalization;

namespace ModeRefresh.Bench.Runner;

/// <summary>One row of load: a URL, the signature sent, the process answering it and the wrk threads that load it.</summary>
internal sealed record LoadTarget(string Key, string Label, string Url, string Signature, Child Service, int Threads, int ExpectedStatus)
{
    public List<LoadSample> Samples { get; } = [];
}

/// <summary>
/// One wrk run and what every process on the machine spent meanwhile. CPU is per answered request (µs) and as cores
/// busy over the window (seconds of CPU per second); "other" is what neither the service, the sidecar, wrk nor this
/// runner used: other work on the machine.
/// </summary>
internal sealed record LoadSample(
    long Requests, double Seconds, double P50, double P99, double P999, long Status4xx5xx, long SocketErrors,
    double ServiceCpu, double SidecarCpu, double WrkCpu, double OtherCpu, double IdleCpu, double Window)
{
    public double RequestsPerSecond => Requests / Seconds;
    public double ServiceUs => PerRequest(ServiceCpu);
    public double SidecarUs => PerRequest(SidecarCpu);
    public double WrkUs => PerRequest(WrkCpu);
    public double ServiceCores => ServiceCpu / Window;
    public double SidecarCores => SidecarCpu / Window;
    public double WrkCores => WrkCpu / Window;
    public double OtherCores => OtherCpu / Window;
    public double IdleCores => IdleCpu / Window;

    private double PerRequest(double cpuSeconds) => Requests == 0 ? double.NaN : cpuSeconds * 1e6 / Requests;
}

internal static class Load
{
    /// <summary>
    /// Runs wrk against the target for <paramref name="seconds"/> and takes the CPU deltas over exactly that process's
    /// life: the service and sidecar from /proc/&lt;pid&gt;/stat, wrk from getrusage once it has been reaped.
    /// </summary>
    public static async Task<LoadSample> RunAsync(BenchSettings settings, Children children, LoadTarget target, Child sidecar,
        int seconds, CancellationToken ct)
    {
        var service0 = target.Service.CpuSeconds;
        var sidecar0 = sidecar.CpuSeconds;
        var wrk0 = ProcFs.ExitedChildrenCpuSeconds();
        var self0 = ProcFs.SelfCpuSeconds();
        var (busy0, idle0) = ProcFs.MachineCpuSeconds();
        var t0 = Stopwatch.GetTimestamp();
        var wrk = children.Start("wrk", "wrk",
            [$"-t{target.Threads}", $"-c{settings.Connections}", $"-d{seconds}s", "--timeout", "5s", "--latency", "-s", settings.LuaScript, target.Url],
            new Dictionary<string, string> { ["BENCH_BODY_FILE"] = settings.PayloadFile, ["BENCH_SIGNATURE"] = target.Signature });
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(TimeSpan.FromSeconds(seconds + 30));
            try
            {
                await wrk.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                await wrk.StopAsync();
                ct.ThrowIfCancellationRequested();
                throw new BenchException($"wrk against {target.Url} did not finish within {seconds + 30} s");
            }
        }
        var window = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var (busy1, idle1) = ProcFs.MachineCpuSeconds();
        var serviceCpu = target.Service.CpuSeconds - service0;
        var sidecarCpu = sidecar.CpuSeconds - sidecar0;
        var wrkCpu = ProcFs.ExitedChildrenCpuSeconds() - wrk0;
        var selfCpu = ProcFs.SelfCpuSeconds() - self0;
        // wrk prints its output at exit; give the reader thread a moment to see the last line.
        var line = await wrk.WaitForLineAsync("BENCH ", TimeSpan.FromSeconds(2), ct);
        if (wrk.ExitCode != 0) throw new BenchException($"wrk against {target.Url} exited with {wrk.ExitCode}:\n{wrk.Tail}");
        var f = line.Split(' ');
        double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
        long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        var other = Math.Max(0, busy1 - busy0 - serviceCpu - sidecarCpu - wrkCpu - selfCpu);
        return new LoadSample(
            Requests: L(1), Seconds: D(2) / 1e6, P50: D(3) / 1000, P99: D(4) / 1000, P999: D(5) / 1000, Status4xx5xx: L(6), SocketErrors: L(7),
            ServiceCpu: serviceCpu, SidecarCpu: sidecarCpu, WrkCpu: wrkCpu, OtherCpu: other, IdleCpu: idle1 - idle0, Window: window);
    }
}
