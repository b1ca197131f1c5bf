using System.Globalization;

namespace ModeRefresh.Bench.Runner;

/// <summary>
/// The knobs, all from BENCH_* environment variables (bench/README.md lists them with their defaults). A bad value
/// stops the run before anything starts, with one line naming the variable.
/// </summary>
internal sealed record BenchSettings
{
    public required string Root { get; init; }
    public required int Runs { get; init; }
    public required int Duration { get; init; }
    public required int Warmup { get; init; }
    public required int Connections { get; init; }
    public required int Threads { get; init; }

    /// <summary>wrk thread counts the ceiling is also measured at, to show whether the generator limits it.</summary>
    public required IReadOnlyList<int> GeneratorThreads { get; init; }

    public required int E2ERate { get; init; }
    public required int PortBase { get; init; }

    /// <summary>A Native AOT publish of Ingress (bench/run.sh makes one unless BENCH_AOT=0), or null.</summary>
    public required string? AotDir { get; init; }

    /// <summary>The AOT publish's build log, for its trim/AOT warnings or its error.</summary>
    public required string? AotLog { get; init; }

    public required bool AotSkipped { get; init; }
    public required string Output { get; init; }
    public required string LoadBefore { get; init; }

    public string Bench => Path.Combine(Root, "bench");
    public string PayloadFile => Path.Combine(Bench, "payload.json");
    public string LuaScript => Path.Combine(Bench, "webhook.lua");
    public int CeilingPort => PortBase;
    public int IngressPort => PortBase + 1;
    public int RefreshPort => PortBase + 2;
    public int AotPort => PortBase + 3;
    public int E2EIngressPort => PortBase + 4;
    public int E2ERefreshPort => PortBase + 5;
    public IEnumerable<int> Ports => Enumerable.Range(PortBase, 6);

    /// <summary>Release output of a project under the repository, e.g. Dll("services/Ingress", "ModeRefresh.Ingress").</summary>
    public string Dll(string project, string assembly) =>
        Path.Combine(Root, project, "bin", "Release", "net10.0", assembly + ".dll");

    public static BenchSettings FromEnvironment()
    {
        var root = Text("BENCH_ROOT", FindRoot());
        var threads = Number("BENCH_THREADS", 2, 1, 64);
        var connections = Number("BENCH_CONNECTIONS", 32, 1, 10_000);
        var sweep = Text("BENCH_GENERATOR_THREADS", "1 2 4")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64
                ? n
                : throw new BenchSettingsException($"BENCH_GENERATOR_THREADS must be thread counts 1–64 separated by spaces, got '{t}'"))
            .Append(threads).Distinct().Order().ToList();
        if (sweep.Any(t => t > connections))
            throw new BenchSettingsException($"BENCH_CONNECTIONS ({connections}) must be at least every wrk thread count ({string.Join(' ', sweep)})");
        var aotSkipped = Text("BENCH_AOT", "1") == "0";
        var date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new BenchSettings
        {
            Root = root,
            Runs = Number("BENCH_RUNS", 3, 1, 100),
            Duration = Number("BENCH_DURATION", 10, 1, 3600),
            Warmup = Number("BENCH_WARMUP", 5, 0, 3600),
            Connections = connections,
            Threads = threads,
            GeneratorThreads = sweep,
            E2ERate = Number("BENCH_E2E_RATE", 50, 1, 1000),
            PortBase = Number("BENCH_PORT_BASE", 5180, 1024, 65_000),
            AotDir = aotSkipped ? null : NullIfEmpty("BENCH_AOT_DIR"),
            AotLog = aotSkipped ? null : NullIfEmpty("BENCH_AOT_LOG"),
            AotSkipped = aotSkipped,
            Output = Text("BENCH_OUT", Path.Combine(root, "bench", "results", date + ".md")),
            LoadBefore = Text("BENCH_LOAD_BEFORE", ProcFs.LoadAverage()),
        };
    }

    private static string? NullIfEmpty(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static string Text(string name, string fallback) => NullIfEmpty(name) ?? fallback;

    private static int Number(string name, int fallback, int min, int max)
    {
        var text = NullIfEmpty(name);
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new BenchSettingsException($"{name} must be a whole number from {min} to {max}, got '{text}'");
    }

    // The repository root: the first parent of this assembly's folder that holds ModeRefresh.sln.
    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModeRefresh.sln"))) return dir.FullName;
        }
        throw new BenchSettingsException("BENCH_ROOT is not set and no parent folder of the runner holds ModeRefresh.sln");
    }
}

internal sealed class BenchSettingsException(string message) : Exception(message);

/// <summary>A measurement could not be taken (a process did not start, wrk failed, an answer was wrong).</summary>
internal sealed class BenchException(string message) : Exception(message);
