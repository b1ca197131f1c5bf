using System.Text.Json.Nodes;

namespace ModeRefresh.TestSupport;

/// <summary>An artifact the fake dbt Cloud serves: bytes in memory, or a file streamed from disk (for large manifests).</summary>
public sealed class FakeArtifact
{
    private readonly byte[]? _bytes;
    private readonly string? _path;

    private FakeArtifact(byte[]? bytes, string? path)
    {
        _bytes = bytes;
        _path = path;
    }

    public static FakeArtifact FromBytes(byte[] bytes) => new(bytes ?? throw new ArgumentNullException(nameof(bytes)), null);

    public static FakeArtifact FromFile(string path) => new(null, path ?? throw new ArgumentNullException(nameof(path)));

    public long Length => _bytes?.LongLength ?? new FileInfo(_path!).Length;

    public Stream Open() => _bytes is not null
        ? new MemoryStream(_bytes, writable: false)
        : new FileStream(_path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
}

/// <summary>One step of a fake run, with the artifacts dbt Cloud keeps for it (none for clone/profile/deps).</summary>
public sealed record FakeDbtStep(int Index, string Name, int Status = 10)
{
    public FakeArtifact? RunResults { get; init; }
    public FakeArtifact? Manifest { get; init; }
}

/// <summary>
/// A run as the fake dbt Cloud Admin API serves it: Retrieve Run gives id, status and (with
/// <c>include_related=["run_steps"]</c>) the steps; <c>.../artifacts/{path}?step=N</c> gives step N's file, without
/// <c>step</c> the last step's that has one, and 404 where there is none.
/// </summary>
public sealed record FakeDbtRun(long AccountId, long RunId, int Status, IReadOnlyList<FakeDbtStep> Steps)
{
    public bool IsComplete { get; init; } = true;
    public bool ArtifactsSaved { get; init; } = true;

    /// <summary>Answer Retrieve Run without <c>run_steps</c> even when asked (artifacts are still served by step).</summary>
    public bool HideSteps { get; init; }

    /// <summary>The usual first three steps, which have no artifacts.</summary>
    public static IReadOnlyList<FakeDbtStep> PlatformSteps { get; } =
    [
        new(1, "Clone git repository"),
        new(2, "Create profile from connection"),
        new(3, "Invoke dbt deps"),
    ];

    /// <summary>
    /// A run from one scenario folder of ../shared/dbt-cloud/artifacts (<c>run.json</c>, <c>run_results.stepN.json</c>)
    /// and the folder's <c>manifest.json</c>, served from the files themselves: the manifest for every step that has
    /// run_results.
    /// </summary>
    public static FakeDbtRun FromSharedScenario(string scenarioDir, string manifestPath)
    {
        var data = JsonNode.Parse(File.ReadAllText(Path.Combine(scenarioDir, "run.json")))!["data"]!;
        var manifest = FakeArtifact.FromFile(manifestPath);
        var steps = data["run_steps"]!.AsArray().Select(s =>
        {
            var index = s!["index"]!.GetValue<int>();
            var results = Path.Combine(scenarioDir, $"run_results.step{index}.json");
            return new FakeDbtStep(index, s["name"]!.GetValue<string>(), s["status"]!.GetValue<int>())
            {
                RunResults = File.Exists(results) ? FakeArtifact.FromFile(results) : null,
                Manifest = File.Exists(results) ? manifest : null,
            };
        }).ToArray();
        return new FakeDbtRun(data["account_id"]!.GetValue<long>(), data["id"]!.GetValue<long>(), data["status"]!.GetValue<int>(), steps)
        {
            ArtifactsSaved = data["artifacts_saved"]?.GetValue<bool>() ?? true,
        };
    }

    /// <summary>
    /// A run of <paramref name="project"/>: the platform steps, then one step per (command, results), each with its
    /// run_results.json and the project's manifest.json.
    /// </summary>
    public static FakeDbtRun Of(long accountId, long runId, int status, DbtProject project, params (string Name, string Command, IReadOnlyList<DbtResult> Results)[] steps)
    {
        var manifest = FakeArtifact.FromBytes(project.ManifestBytes());
        var all = PlatformSteps.Concat(steps.Select((s, i) => new FakeDbtStep(4 + i, s.Name)
        {
            RunResults = FakeArtifact.FromBytes(DbtRunResults.Bytes(s.Command, s.Results)),
            Manifest = manifest,
        })).ToArray();
        return new FakeDbtRun(accountId, runId, status, all);
    }
}
