namespace ModeRefresh.Lineage.Artifacts;

/// <summary>A <c>results[].status</c> of run_results.json (dbt's three status enums in one).</summary>
public enum NodeRunStatus : byte
{
    /// <summary>A status this reader does not know (a newer dbt): treated like any status that neither changes nor blocks.</summary>
    Other = 0,
    Success,
    Error,
    Skipped,
    PartialSuccess,
    NoOp,
    Pass,
    Fail,
    Warn,
    RuntimeError,
}

/// <summary>One <c>results[]</c> entry, reduced to what the rule uses.</summary>
public sealed record NodeResult(string UniqueId, NodeRunStatus Status);

/// <summary>What <see cref="RunResultsReader"/> kept of one run_results.json.</summary>
/// <param name="Command"><c>args.which</c>: the dbt command that wrote the file (build, run, seed, generate, ...), when present.</param>
/// <param name="SchemaVersion"><c>metadata.dbt_schema_version</c>.</param>
/// <param name="Results">Every result, in file order.</param>
public sealed record RunResultsArtifact(string? Command, string? SchemaVersion, IReadOnlyList<NodeResult> Results)
{
    /// <summary>
    /// Commands that compile or inspect but build nothing. <c>dbt docs generate</c> compiles first and writes a
    /// "success" for every node it compiled (dbt-core task/docs/generate.py runs CompileTask), which would otherwise
    /// look as if the whole project had been rebuilt; their results change no data.
    /// </summary>
    public static IReadOnlySet<string> ReadOnlyCommands { get; } =
        new HashSet<string>(["compile", "generate", "docs", "show", "list", "ls", "parse", "debug"], StringComparer.Ordinal);

    /// <summary>True when <see cref="Command"/> builds nothing, so its results say nothing about data.</summary>
    public bool IsReadOnlyCommand => Command is not null && ReadOnlyCommands.Contains(Command);
}

/// <summary>One step's (or one file's) run_results, with a label for explanations ("step 4", a file name).</summary>
public sealed record StepRunResults(string Label, RunResultsArtifact Artifact);

/// <summary>
/// The run's results across all its steps: what each node's last execution came to. dbt Cloud keeps one
/// run_results.json per step and serves the last step's by default, which is the docs step when "generate docs"
/// is on; a job of several commands spreads its models over steps. So every step is read and merged here.
/// </summary>
public sealed class RunResultsSet
{
    private readonly Dictionary<string, NodeRunStatus> _statuses;

    private RunResultsSet(Dictionary<string, NodeRunStatus> statuses, IReadOnlyList<string> read, IReadOnlyList<string> ignored)
    {
        _statuses = statuses;
        Read = read;
        Ignored = ignored;
    }

    /// <summary>Final status per node unique id.</summary>
    public IReadOnlyDictionary<string, NodeRunStatus> Statuses => _statuses;

    /// <summary>The steps (or files) whose results were used, e.g. <c>step 4 (build, 9 results)</c>.</summary>
    public IReadOnlyList<string> Read { get; }

    /// <summary>The steps whose results were set aside because their command builds nothing, e.g. <c>step 5 (generate)</c>.</summary>
    public IReadOnlyList<string> Ignored { get; }

    /// <summary>
    /// Merges in step order: a node's status is that of the last step that executed it, because that execution is
    /// what its data now reflects; a later <c>skipped</c> does not undo an earlier execution (skipping leaves the data
    /// as the earlier step made it). Steps of read-only commands (<see cref="RunResultsArtifact.ReadOnlyCommands"/>)
    /// are set aside.
    /// </summary>
    public static RunResultsSet Merge(IEnumerable<StepRunResults> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var statuses = new Dictionary<string, NodeRunStatus>(StringComparer.Ordinal);
        var read = new List<string>();
        var ignored = new List<string>();
        foreach (var step in steps)
        {
            var artifact = step.Artifact;
            var what = artifact.Command is null ? "" : artifact.Command + ", ";
            if (artifact.IsReadOnlyCommand)
            {
                ignored.Add($"{step.Label} ({artifact.Command})");
                continue;
            }

            read.Add($"{step.Label} ({what}{artifact.Results.Count} result{(artifact.Results.Count == 1 ? "" : "s")})");
            foreach (var result in artifact.Results)
            {
                if (result.Status == NodeRunStatus.Skipped && statuses.TryGetValue(result.UniqueId, out var earlier) && earlier != NodeRunStatus.Skipped)
                {
                    continue;
                }

                statuses[result.UniqueId] = result.Status;
            }
        }

        return new RunResultsSet(statuses, read, ignored);
    }
}
