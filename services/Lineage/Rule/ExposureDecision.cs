using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Mode;

namespace ModeRefresh.Lineage.Rule;

/// <summary>An exposure the run made stale: <see cref="ChangedNode"/> ran successfully upstream of it.</summary>
public sealed record RefreshedExposure(string UniqueId, string Name, ModeReport Report, string ChangedNode);

/// <summary>An exposure that would have been refreshed but part of its data is missing or old.</summary>
/// <param name="BlockingNode">The node upstream that errored, was skipped or only partly succeeded.</param>
/// <param name="BlockingStatus">Its status in run_results.</param>
public sealed record BlockedExposure(string UniqueId, string Name, ModeReport Report, string BlockingNode, NodeRunStatus BlockingStatus);

/// <summary>An exposure with a Mode report that nothing in this run reached.</summary>
public sealed record UntouchedExposure(string UniqueId, string Name, ModeReport Report);

/// <summary>An exposure with no Mode report behind it (or a declaration that cannot be used), with the reason.</summary>
public sealed record IgnoredExposure(string UniqueId, string Name, string Reason);

/// <summary>
/// Which Mode reports one dbt run made stale, and why each other exposure was left alone. <see cref="Reports"/> is
/// what to run: each report once, even when several exposures point at it (in the order their first exposure
/// appears in the manifest, with that exposure's parameters).
/// </summary>
public sealed record ExposureDecision(
    IReadOnlyList<ModeReport> Reports,
    IReadOnlyList<RefreshedExposure> Refreshed,
    IReadOnlyList<BlockedExposure> Blocked,
    IReadOnlyList<UntouchedExposure> Untouched,
    IReadOnlyList<IgnoredExposure> Ignored,
    string Explanation)
{
    /// <summary>Exposures with a Mode report that nothing in this run reached.</summary>
    public int UntouchedCount => Untouched.Count;
}
