using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// Refresh's folders import one way (ARCHITECTURE.md, "Folder map"): a folder uses only the folders below it in
/// <see cref="Flow"/>, and the hosting folders, which use none of the flow. Read from the source: every
/// <c>using ModeRefresh.Refresh.…</c>, every name qualified by a folder's namespace (in code and in <c>cref</c>s,
/// which the compiler resolves too), each resolved as C# does from the file's own namespace.
/// </summary>
public sealed partial class RefreshLayeringTests
{
    private const string RootNamespace = "ModeRefresh.Refresh";

    /// <summary>Top to bottom: a folder may use the folders after it, never one before it.</summary>
    private static readonly string[] Flow =
    [
        "Delivery",            // inbound: what daprd calls (topic routes, job callbacks, the dead-letter route) and the HTTP API; Dapr's answers
        "Runs",                // the use case: one delivered dbt run → its reports, each run once → the run's outcome
        "DeadLetters",         // events given up: why, the bounded list, replay
        "Planning/Coalescing", // which reports run when: MinInterval coalescing and its deferred run
        "Planning/Exposures",  // which reports: the dbt project's exposures (services/Lineage)
        "Planning/Routing",    // which reports: the configured routes
        "Tracking",            // after Mode accepted a run: the announcement, following it to its end, its outcome
        "History",             // outcomes kept for GET /history (recorded by Runs, Tracking and Coalescing)
        "State",               // Dapr JSON records: the one record store, the run ledger and its claims
        "Mode",                // the Mode API client
        "Subscription",        // DbtEventReader, until services/Contracts owns the one reader
        "",                    // services/Refresh itself: the settings and meter every folder shares
    ];

    /// <summary>Sidecar, health, auth and hosting helpers: used by every folder, they use no folder of the flow.</summary>
    private static readonly string[] Hosting = ["Sidecar", "Health", "Auth", "Hosting"];

    /// <summary>The composition root: Program.cs and the AddRefresh/MapRefresh it calls wire every folder.</summary>
    private static readonly string[] CompositionRoot = ["Program.cs", "RefreshExtensions.cs"];

    [Fact]
    public void Folders_EveryFolderWithCode_HasAPlace()
    {
        var unplaced = Sources().Select(s => s.Folder).Distinct(StringComparer.Ordinal)
            .Where(folder => LayerOf(folder) is null)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(unplaced.Count == 0,
            $"services/Refresh folder(s) with no place in {nameof(RefreshLayeringTests)}.{nameof(Flow)}: {string.Join(", ", unplaced)}. " +
            "Give each its place in the flow (and in ARCHITECTURE.md's folder map).");
    }

    [Fact]
    public void Imports_EveryFolder_OnlyFoldersBelowIt()
    {
        var violations = new List<string>();
        foreach (var source in Sources().Where(s => !CompositionRoot.Contains(s.Path, StringComparer.Ordinal)))
        {
            if (LayerOf(source.Folder) is not { } from)
            {
                continue; // reported by Folders_EveryFolderWithCode_HasAPlace
            }

            foreach (var (folder, how) in References(source).Distinct())
            {
                if (LayerOf(folder) is not { } to)
                {
                    violations.Add($"{source.Path} ({Describe(from)}) uses {folder}, which has no place in the order: {how}");
                }
                else if (!Allowed(from, to))
                {
                    violations.Add($"{source.Path} ({Describe(from)}) uses {Describe(to)}: {how}");
                }
            }
        }

        Assert.True(violations.Count == 0,
            $"services/Refresh imports against the declared order ({string.Join(" → ", Flow.Select(f => f.Length == 0 ? "(root)" : f))}; " +
            $"hosting: {string.Join(", ", Hosting)}):\n" + string.Join("\n", violations.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Namespaces_EveryFile_FollowsItsFolder()
    {
        var wrong = Sources()
            .Select(s => (s.Path, Expected: NamespaceOf(s.Folder), Declared: NamespaceDeclaration().Match(s.Text)))
            .Where(s => s.Declared.Success && s.Declared.Groups[1].Value != s.Expected)
            .Select(s => $"{s.Path}: namespace {s.Declared.Groups[1].Value}, expected {s.Expected}")
            .ToList();

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Theory]
    [InlineData("Runs", "Delivery", false)]
    [InlineData("Delivery", "Runs", true)]
    [InlineData("Planning/Routing", "Planning/Coalescing", false)]
    [InlineData("Planning/Coalescing", "Tracking", true)]
    [InlineData("Sidecar", "Mode", false)]
    [InlineData("", "Tracking", false)]
    [InlineData("Mode", "Sidecar", true)]
    [InlineData("Mode", "", true)]
    public void Allowed_Pairs_FollowTheDeclaredOrder(string from, string to, bool expected) =>
        Assert.Equal(expected, Allowed(LayerOf(from)!.Value, LayerOf(to)!.Value));

    [Theory]
    [InlineData("Planning/Exposures", "using ModeRefresh.Refresh.Delivery;", "Delivery")]
    [InlineData("Planning/Exposures", "var x = ModeRefresh.Refresh.Runs.ReportSweep.Threshold;", "Runs")]
    [InlineData("Planning/Exposures", "/// <see cref=\"Routing.ReportRouter\"/>", "Planning/Routing")]
    [InlineData("Planning/Exposures", "services.AddSingleton<Coalescing.ReportCoalescer>();", "Planning/Coalescing")]
    [InlineData("Tracking", "var s = Hosting.LogText.Safe(x);", "Hosting")]
    [InlineData("Tracking", "var state = outcome.State; // Runs.ReportSweep", null)]
    [InlineData("Tracking", "\"text about Mode. Runs\"", null)]
    public void References_QualifiedNames_ResolvedFromTheFilesNamespace(string folder, string line, string? expected)
    {
        var found = References(new Source(folder + "/X.cs", folder, line)).Select(r => r.Folder).ToList();
        Assert.Equal(expected is null ? [] : [expected], found);
    }

    private static bool Allowed(Layer from, Layer to)
    {
        if (to.Hosting)
        {
            return true;
        }

        // Hosting helpers use no folder of the flow; the root's shared types are visible to every namespace anyway.
        return from.Hosting ? to.Index == Flow.Length - 1 : to.Index >= from.Index;
    }

    private static string Describe(Layer layer) => layer.Folder.Length == 0 ? "services/Refresh root" : layer.Folder;

    private readonly record struct Layer(string Folder, int Index, bool Hosting);

    private sealed record Source(string Path, string Folder, string Text);

    /// <summary>The declared folder holding <paramref name="folder"/> (itself or its nearest declared ancestor).</summary>
    private static Layer? LayerOf(string folder)
    {
        for (var candidate = folder; ; candidate = Parent(candidate))
        {
            var flow = Array.IndexOf(Flow, candidate);
            if (flow >= 0 && (candidate.Length > 0 || folder.Length == 0))
            {
                return new Layer(candidate, flow, false);
            }

            var hosting = Array.IndexOf(Hosting, candidate);
            if (hosting >= 0)
            {
                return new Layer(candidate, Flow.Length, true);
            }

            if (candidate.Length == 0)
            {
                return null; // the root's own place is for files directly in services/Refresh
            }
        }
    }

    private static string Parent(string folder) => folder.Contains('/') ? folder[..folder.LastIndexOf('/')] : string.Empty;

    private static string NamespaceOf(string folder) => folder.Length == 0 ? RootNamespace : $"{RootNamespace}.{folder.Replace('/', '.')}";

    /// <summary>The services/Refresh folders that <paramref name="source"/> names, with the text that names them.</summary>
    private static IEnumerable<(string Folder, string How)> References(Source source)
    {
        foreach (var line in source.Text.Split('\n'))
        {
            var trimmed = line.TrimStart();
            var code = trimmed.StartsWith("//", StringComparison.Ordinal) ? string.Empty : StripTrailingComment(line);
            var names = QualifiedName().Matches(code).Select(m => m.Value)
                .Concat(Cref().Matches(line).Select(m => m.Groups[1].Value));
            foreach (var name in names)
            {
                if (Resolve(source.Folder, name) is { } folder)
                {
                    yield return (folder, trimmed.StartsWith("using ", StringComparison.Ordinal) ? trimmed.TrimEnd() : name);
                }
            }
        }
    }

    /// <summary>
    /// The folder a dotted name points into, as C# resolves it from the file's namespace: fully qualified
    /// (<c>ModeRefresh.Refresh.X…</c>), else relative to the file's namespace and each of its parents.
    /// </summary>
    private static string? Resolve(string fromFolder, string name)
    {
        var parts = name.Split('.');
        if (name.StartsWith(RootNamespace + ".", StringComparison.Ordinal))
        {
            return Deepest(string.Empty, parts[2..]);
        }

        if (name.StartsWith("ModeRefresh.", StringComparison.Ordinal) || name.StartsWith("global::", StringComparison.Ordinal))
        {
            return null;
        }

        for (var scope = fromFolder; ; scope = Parent(scope))
        {
            if (Deepest(scope, parts) is { } folder)
            {
                return folder;
            }

            if (scope.Length == 0)
            {
                return null;
            }
        }
    }

    /// <summary>The deepest existing folder under <paramref name="scope"/> that the leading <paramref name="parts"/> name.</summary>
    private static string? Deepest(string scope, string[] parts)
    {
        string? found = null;
        var path = scope;
        foreach (var part in parts)
        {
            path = path.Length == 0 ? part : $"{path}/{part}";
            if (!Folders.Contains(path))
            {
                break;
            }

            found = path;
        }

        return found;
    }

    private static string StripTrailingComment(string line)
    {
        var at = line.IndexOf(" //", StringComparison.Ordinal);
        return at < 0 ? line : line[..at];
    }

    private static readonly Lazy<HashSet<string>> FoldersLazy = new(() =>
    {
        var root = RepoPaths.Combine("services", "Refresh");
        var folders = Directory.GetDirectories(root, "*", SearchOption.AllDirectories)
            .Select(d => RelativeTo(root, d))
            .Where(d => !IsBuildOutput(d));
        // Declared folders count as existing, so a reference into one resolves even before it has files.
        return [.. folders, .. Flow.Where(f => f.Length > 0), .. Hosting];
    });

    private static HashSet<string> Folders => FoldersLazy.Value;

    private static IEnumerable<Source> Sources()
    {
        var root = RepoPaths.Combine("services", "Refresh");
        return Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => RelativeTo(root, f))
            .Where(f => !IsBuildOutput(f))
            .Select(f => new Source(f, Parent(f), File.ReadAllText(Path.Combine(root, f))))
            .ToList();
    }

    private static bool IsBuildOutput(string relative) =>
        relative.Split('/')[0] is "bin" or "obj";

    private static string RelativeTo(string root, string path) =>
        Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    // A dotted name not preceded by a letter, digit or dot (so `outcome.State` is a member access, not a namespace).
    [GeneratedRegex(@"(?<![\w.])(?:[A-Z]\w*\.)+[A-Z]\w*")]
    private static partial Regex QualifiedName();

    [GeneratedRegex("cref=\"([^\"]+)\"")]
    private static partial Regex Cref();

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();
}
