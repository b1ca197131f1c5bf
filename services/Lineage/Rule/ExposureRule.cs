using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Mode;

namespace ModeRefresh.Lineage.Rule;

/// <summary>
/// The rule (../shared/dbt-cloud/artifacts/README.md, "Which exposures a run made stale"): walk upstream from each
/// exposure's <c>depends_on.nodes</c>. A node that ran in this run stops the walk: <c>success</c> makes the exposure
/// changed, <c>error</c>, <c>skipped</c> or <c>partial success</c> blocks it, any other status does neither. A node
/// that did not run and is a view or an ephemeral model holds its parents' data: the walk goes on to its parents.
/// Any other node that did not run (table, incremental, snapshot, seed, source, ...) stops the walk: its data did
/// not change. An exposure is refreshed when it is changed and not blocked.
/// </summary>
public static class ExposureRule
{
    private const int None = -1;

    /// <summary>Decides for every exposure of <paramref name="manifest"/> given the run's merged results.</summary>
    public static ExposureDecision Decide(ManifestGraph manifest, RunResultsSet results) => Decide(manifest, results, out _);

    /// <param name="evaluations">How many nodes were evaluated: each at most once per decision, however many
    /// exposures share it (the memo that keeps 20,000 models and 1,000 exposures fast).</param>
    internal static ExposureDecision Decide(ManifestGraph manifest, RunResultsSet results, out int evaluations)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(results);

        var walk = new Walk(manifest, results);
        var refreshed = new List<RefreshedExposure>();
        var blocked = new List<BlockedExposure>();
        var untouched = new List<UntouchedExposure>();
        var ignored = new List<IgnoredExposure>();
        var reports = new List<ModeReport>();
        var seen = new HashSet<(string, string)>();

        foreach (var exposure in manifest.Exposures)
        {
            var match = ModeReportLocator.Locate(exposure);
            if (match.Report is not { } report)
            {
                ignored.Add(new IgnoredExposure(exposure.UniqueId, exposure.Name, match.WhyNot!));
                continue;
            }

            var changedBy = None;
            var blockedBy = None;
            foreach (var parent in exposure.DependsOnIndexes)
            {
                walk.Evaluate(parent);
                if (changedBy == None) changedBy = walk.ChangedBy[parent];
                if (blockedBy == None) blockedBy = walk.BlockedBy[parent];
            }

            if (blockedBy != None)
            {
                var node = manifest.IdAt(blockedBy);
                blocked.Add(new BlockedExposure(exposure.UniqueId, exposure.Name, report, node, results.Statuses[node]));
            }
            else if (changedBy != None)
            {
                refreshed.Add(new RefreshedExposure(exposure.UniqueId, exposure.Name, report, manifest.IdAt(changedBy)));
                if (seen.Add((report.Workspace, report.Report)))
                {
                    reports.Add(report);
                }
            }
            else
            {
                untouched.Add(new UntouchedExposure(exposure.UniqueId, exposure.Name, report));
            }
        }

        evaluations = walk.Evaluations;
        var explanation = DecisionExplainer.Explain(reports, refreshed, blocked, untouched, ignored, results);
        return new ExposureDecision(reports, refreshed, blocked, untouched, ignored, explanation);
    }

    /// <summary>
    /// Memoized upstream walk: for each node, the first node upstream (itself included) that ran successfully and
    /// the first that blocks, or <see cref="None"/>. Iterative (an explicit stack), because a chain of thousands of
    /// views would overflow the call stack; a cycle (never in a valid manifest) is cut where it closes.
    /// </summary>
    private sealed class Walk
    {
        private const byte Unvisited = 0;
        private const byte InProgress = 1;
        private const byte Done = 2;

        private readonly ManifestGraph _manifest;
        private readonly NodeRunStatus?[] _ran;
        private readonly byte[] _state;
        private readonly Stack<(int Node, int NextParent)> _stack = new();

        public Walk(ManifestGraph manifest, RunResultsSet results)
        {
            _manifest = manifest;
            var count = manifest.NodeCount;
            _ran = new NodeRunStatus?[count];
            _state = new byte[count];
            ChangedBy = new int[count];
            BlockedBy = new int[count];
            foreach (var (id, status) in results.Statuses)
            {
                if (manifest.TryGetIndex(id, out var index))
                {
                    _ran[index] = status;
                }
            }
        }

        public int[] ChangedBy { get; }

        public int[] BlockedBy { get; }

        public int Evaluations { get; private set; }

        public void Evaluate(int root)
        {
            if (_state[root] == Done)
            {
                return;
            }

            _stack.Push((root, -1)); // -1: not entered yet
            while (_stack.Count > 0)
            {
                var (node, next) = _stack.Pop();
                if (next < 0)
                {
                    if (_state[node] == Done)
                    {
                        continue;
                    }

                    if (_ran[node] is { } status)
                    {
                        Finish(node, status == NodeRunStatus.Success ? node : None, IsBlocking(status) ? node : None);
                        continue;
                    }

                    if (!_manifest.PassesThroughAt(node))
                    {
                        Finish(node, None, None);
                        continue;
                    }

                    _state[node] = InProgress;
                    ChangedBy[node] = None;
                    BlockedBy[node] = None;
                    next = 0;
                }

                var parents = _manifest.ParentsAt(node);
                while (next < parents.Length && _state[parents[next]] != Unvisited)
                {
                    // Done: take its result. InProgress: a cycle closes here; it contributes what it has so far.
                    Merge(node, parents[next]);
                    next++;
                }

                if (next < parents.Length)
                {
                    // Come back to this parent once it is done, then merge it with the loop above.
                    _stack.Push((node, next));
                    _stack.Push((parents[next], -1));
                    continue;
                }

                _state[node] = Done;
                Evaluations++;
            }
        }

        private void Finish(int node, int changedBy, int blockedBy)
        {
            ChangedBy[node] = changedBy;
            BlockedBy[node] = blockedBy;
            _state[node] = Done;
            Evaluations++;
        }

        private void Merge(int node, int parent)
        {
            if (ChangedBy[node] == None) ChangedBy[node] = ChangedBy[parent];
            if (BlockedBy[node] == None) BlockedBy[node] = BlockedBy[parent];
        }

        private static bool IsBlocking(NodeRunStatus status) =>
            status is NodeRunStatus.Error or NodeRunStatus.Skipped or NodeRunStatus.PartialSuccess;
    }
}
