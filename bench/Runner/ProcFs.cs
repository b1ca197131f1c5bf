using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ModeRefresh.Bench.Runner;

/// <summary>CPU time and memory as Linux accounts them (proc(5), getrusage(2)).</summary>
internal static partial class ProcFs
{
    /// <summary>USER_HZ: the unit of the CPU times in /proc/&lt;pid&gt;/stat and /proc/stat.</summary>
    public static readonly double TicksPerSecond = SysConf(ScClkTck) is > 0 and var t ? t : 100;

    /// <summary>utime + stime of a running process, in seconds (fields 14 and 15 of /proc/&lt;pid&gt;/stat).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Field 2 (comm) may hold spaces and parentheses: count fields from the last ')'; field 3 is then index 0.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture))
            / TicksPerSecond;
    }

    /// <summary>VmRSS of a running process, in KiB.</summary>
    public static long RssKb(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture))
            .First();

    /// <summary>
    /// CPU seconds of this process's children that have exited and been waited for (getrusage RUSAGE_CHILDREN): the
    /// load generator's CPU, which /proc cannot give once it has exited. .NET reaps a child before its WaitForExit returns.
    /// </summary>
    public static double ExitedChildrenCpuSeconds()
    {
        if (GetRusage(RusageChildren, out var usage) != 0) throw new BenchException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        return usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6;
    }

    public static double SelfCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>All cores together, in seconds: busy (user, nice, system, irq, softirq, steal) and idle (idle, iowait).</summary>
    public static (double Busy, double Idle) MachineCpuSeconds()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return ((f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / TicksPerSecond, (f[3] + f[4]) / TicksPerSecond);
    }

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
        ?? "unknown";

    public static string MemoryTotal() =>
        File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1048576.0)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g:F1} GiB")).First();

    public static string Kernel() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    /// <summary>Sends a signal (SIGTERM for a graceful stop: .NET's Process.Kill only sends SIGKILL).</summary>
    public static void Signal(int pid, int signal) => _ = Kill(pid, signal);

    public const int SigTerm = 15;
    private const int ScClkTck = 2;
    private const int RusageChildren = -1;

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        // maxrss ... nivcsw: 14 longs not read here.
        public long R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13;
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, out RUsage usage);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
