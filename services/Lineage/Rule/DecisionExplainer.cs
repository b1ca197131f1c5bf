using System.Globalization;
using System.Text;
using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.Mode;

namespace ModeRefresh.Lineage.Rule;

/// <summary>
/// The one line that answers "why did / didn't my dashboard refresh": what runs, what was blocked and by which
/// node, how many exposures nothing reached, which have no Mode report, and which steps were read. Bounded
/// whatever the project's size: each list stops after <see cref="MaxListed"/> names with "and K more", each name
/// after <see cref="MaxNameChars"/> characters, the line after <see cref="MaxChars"/>.
/// </summary>
public static class DecisionExplainer
{
    public const int MaxListed = 10;
    public const int MaxNameChars = 80;
    public const int MaxChars = 4000;

    internal static string Explain(
        IReadOnlyList<ModeReport> reports,
        IReadOnlyList<RefreshedExposure> refreshed,
        IReadOnlyList<BlockedExposure> blocked,
        IReadOnlyList<UntouchedExposure> untouched,
        IReadOnlyList<IgnoredExposure> ignored,
        RunResultsSet results)
    {
        var line = new StringBuilder(512);
        if (reports.Count == 0)
        {
            line.Append("No Mode report to refresh.");
        }
        else
        {
            line.Append(CultureInfo.InvariantCulture, $"Refresh {Count(reports.Count, "Mode report")} for {Count(refreshed.Count, "exposure")}: ");
            List(line, refreshed, r => $"{Name(r.Name)} → {r.Report} ({ShortNode(r.ChangedNode)} ran)");
            line.Append('.');
        }

        if (blocked.Count > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $" Blocked {blocked.Count}: ");
            List(line, blocked, b => $"{Name(b.Name)} by {ShortNode(b.BlockingNode)} ({StatusText(b.BlockingStatus)})");
            line.Append('.');
        }

        if (untouched.Count > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $" Untouched {untouched.Count} (nothing upstream ran): ");
            List(line, untouched, u => Name(u.Name));
            line.Append('.');
        }

        if (ignored.Count > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $" Ignored {ignored.Count} (no Mode report): ");
            List(line, ignored, i => $"{Name(i.Name)} ({i.Reason})");
            line.Append('.');
        }

        line.Append(" Results read: ");
        line.Append(results.Read.Count == 0 ? "none" : string.Join(", ", results.Read.Take(MaxListed)));
        if (results.Read.Count > MaxListed)
        {
            line.Append(CultureInfo.InvariantCulture, $" and {results.Read.Count - MaxListed} more");
        }

        if (results.Ignored.Count > 0)
        {
            line.Append("; set aside (build nothing): ");
            line.Append(string.Join(", ", results.Ignored.Take(MaxListed)));
        }

        line.Append('.');
        return line.Length <= MaxChars ? line.ToString() : string.Concat(line.ToString(0, MaxChars - 1), "…");
    }

    /// <summary><c>model.acme_analytics.dim_customers.v2</c> → <c>dim_customers.v2</c>; <c>source.pkg.shop.orders</c> → <c>shop.orders</c>.</summary>
    public static string ShortNode(string uniqueId)
    {
        ArgumentNullException.ThrowIfNull(uniqueId);
        var first = uniqueId.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : uniqueId.IndexOf('.', first + 1);
        return Name(second < 0 ? uniqueId : uniqueId[(second + 1)..]);
    }

    public static string StatusText(NodeRunStatus status) => status switch
    {
        NodeRunStatus.Success => "success",
        NodeRunStatus.Error => "error",
        NodeRunStatus.Skipped => "skipped",
        NodeRunStatus.PartialSuccess => "partial success",
        NodeRunStatus.NoOp => "no-op",
        NodeRunStatus.Pass => "pass",
        NodeRunStatus.Fail => "fail",
        NodeRunStatus.Warn => "warn",
        NodeRunStatus.RuntimeError => "runtime error",
        _ => "other",
    };

    private static string Name(string name) => name.Length <= MaxNameChars ? name : string.Concat(name.AsSpan(0, MaxNameChars - 1), "…");

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static void List<T>(StringBuilder line, IReadOnlyList<T> items, Func<T, string> describe)
    {
        for (var i = 0; i < items.Count && i < MaxListed; i++)
        {
            if (i > 0) line.Append(", ");
            line.Append(describe(items[i]));
        }

        if (items.Count > MaxListed)
        {
            line.Append(CultureInfo.InvariantCulture, $" and {items.Count - MaxListed} more");
        }
    }
}
