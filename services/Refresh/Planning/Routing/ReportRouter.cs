using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Planning.Routing;

/// <summary>Decides which Mode reports a dbt run refreshes. Built once from validated options.</summary>
public sealed class ReportRouter
{
    public const string AnyJob = "*";

    private readonly IReadOnlyList<Route> routes;

    public ReportRouter(IOptions<RoutingOptions> options)
    {
        var value = options.Value;
        routes = value.Reports.Select(r => Compile(r, value.Workspace)).ToList();
    }

    public int Count => routes.Count;

    /// <summary>
    /// The distinct reports whose jobs (and environments, when given) match the run. When two entries name the
    /// same report, the first one wins: running a report twice for one dbt run is never wanted, and both would
    /// share one idempotency record.
    /// </summary>
    public IReadOnlyList<ReportTarget> Match(DbtRunData run)
    {
        var job = run.JobId?.Trim();
        var matches = new List<ReportTarget>();
        var seen = new HashSet<(string, string)>(); // a set, not a scan of the list: thousands of routes are allowed
        foreach (var route in routes)
        {
            if (route.Matches(job, run.EnvironmentId?.Trim(), run.EnvironmentName?.Trim())
                && seen.Add((route.Target.Workspace, route.Target.Report)))
            {
                matches.Add(route.Templated ? route.Target with { ParametersJson = ParameterTemplate.Render(route.Target.ParametersJson, run) } : route.Target);
            }
        }

        return matches;
    }

    private static Route Compile(ReportRoute route, string? defaultWorkspace)
    {
        var workspace = string.IsNullOrWhiteSpace(route.Workspace) ? defaultWorkspace : route.Workspace;
        var target = new ReportTarget(workspace!.Trim(), route.Report!.Trim(), ReportParameters.ToJson(route.Parameters))
        {
            MinInterval = route.MinInterval,
        };
        var jobs = route.Jobs.Select(j => j.Trim()).ToHashSet(StringComparer.Ordinal);
        var environments = route.Environments is { Count: > 0 } list
            ? list.Select(e => e.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : null;
        return new Route(target, jobs.Contains(AnyJob) ? null : jobs, environments);
    }

    /// <param name="Jobs">null matches every job.</param>
    /// <param name="Environments">null matches every environment; otherwise the run's id or name must be listed.</param>
    private sealed record Route(ReportTarget Target, HashSet<string>? Jobs, HashSet<string>? Environments)
    {
        /// <summary>Parameters name fields of the run (<see cref="ParameterTemplate"/>); rendered per run.</summary>
        public bool Templated { get; } = ParameterTemplate.HasPlaceholders(Target.ParametersJson);

        public bool Matches(string? job, string? environmentId, string? environmentName)
        {
            if (Jobs is not null && (job is null || !Jobs.Contains(job)))
            {
                return false;
            }

            return Environments is null
                || (environmentId is not null && Environments.Contains(environmentId))
                || (environmentName is not null && Environments.Contains(environmentName));
        }
    }
}
