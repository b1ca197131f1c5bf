using System.Globalization;
using System.Text.RegularExpressions;

namespace ModeRefresh.Bench.Runner;

/// <summary>The Native AOT build of Ingress run.sh published (or why there is none) and what its publish warned.</summary>
internal sealed partial record AotBuild(string? Binary, string Note)
{
    public static AotBuild Describe(BenchSettings settings)
    {
        if (settings.AotSkipped) return new AotBuild(null, "not measured (BENCH_AOT=0)");
        var log = settings.AotLog is { } path && File.Exists(path) ? File.ReadAllLines(path) : [];
        var binary = settings.AotDir is { } dir ? Path.Combine(dir, "ModeRefresh.Ingress") : null;
        if (binary is null || !File.Exists(binary))
        {
            var error = log.Select(l => ErrorLine().Match(l)).FirstOrDefault(m => m.Success)?.Value;
            return new AotBuild(null, error is not null ? $"Native AOT publish failed: {error[..Math.Min(error.Length, 200)]}"
                : $"no Native AOT build: {binary ?? "BENCH_AOT_DIR not set"} does not exist");
        }
        // MSBuild repeats a warning per target and appends " [project]": count each distinct warning once.
        var warnings = log.Select(l => l.Split(" [", 2)[0]).Where(l => TrimWarning().IsMatch(l)).Distinct()
            .GroupBy(l => TrimWarning().Match(l).Value).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} × {g.Key}")).ToList();
        return new AotBuild(binary, settings.AotLog is null ? $"Native AOT binary from {settings.AotDir}."
            : $"Native AOT publish: {(warnings.Count == 0 ? "no trim/AOT warnings" : string.Join(", ", warnings))} (see bench/README.md).");
    }

    [GeneratedRegex(@"(warning|error) IL[0-9]+")]
    private static partial Regex TrimWarning();

    [GeneratedRegex(@"error [A-Z]+[0-9]+:.*")]
    private static partial Regex ErrorLine();
}

/// <summary>One line of bench/Micro: "name bytes/op ns/op".</summary>
internal sealed record MicroSample(string Name, double Bytes, double Nanoseconds)
{
    public static MicroSample? Parse(string line)
    {
        var f = line.Split(' ');
        return f.Length == 3 && double.TryParse(f[1], CultureInfo.InvariantCulture, out var bytes)
            && double.TryParse(f[2], CultureInfo.InvariantCulture, out var ns)
            ? new MicroSample(f[0], bytes, ns)
            : null;
    }
}

internal static class Output
{
    /// <summary>The first line a short command prints (a version, a commit), or "unknown".</summary>
    public static async Task<string> OfAsync(Children children, string file, params string[] args)
    {
        try
        {
            var run = children.Start(file, file, args);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await run.WaitForExitAsync(limit.Token);
            return run.Lines.FirstOrDefault()?.Trim() ?? "";
        }
        catch (Exception e) when (e is BenchException or OperationCanceledException)
        {
            return "unknown";
        }
    }
}
