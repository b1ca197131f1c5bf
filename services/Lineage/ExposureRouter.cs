using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModeRefresh.Lineage.Artifacts;
using ModeRefresh.Lineage.DbtCloud;
using ModeRefresh.Lineage.Rule;

namespace ModeRefresh.Lineage;

/// <summary>
/// The one call: given a dbt Cloud run (account, run, the webhook's status) and the API token, fetch what is needed
/// and decide which Mode reports the run made stale. It reads the run's steps, the run_results.json of every step
/// that has one (a 404 means that step has none), and the manifest, streamed; then applies <see cref="ExposureRule"/>.
/// Whether to call it at all (<see cref="ExposureOptions.Enabled"/>) is the caller's choice.
/// </summary>
public sealed partial class ExposureRouter(DbtCloudClient client, IOptions<ExposureOptions> options, ILogger<ExposureRouter> logger)
{
    /// <summary>Most steps read for one run (a job has a handful; this bounds the calls whatever the API says).</summary>
    public const int MaxSteps = 64;

    private const int StepConcurrency = 4;

    /// <param name="accountId">The webhook's <c>accountId</c>.</param>
    /// <param name="runId">The webhook's <c>runId</c>.</param>
    /// <param name="runStatusCode">The webhook's <c>runStatusCode</c> (10 success, 20 error, 30 cancelled); null: use the status the Admin API reports.</param>
    /// <param name="apiToken">The dbt Cloud API token (from the secret named by <see cref="DbtCloudOptions.TokenSecretName"/>).</param>
    public async Task<LineageOutcome> DecideAsync(string accountId, string runId, int? runStatusCode, string apiToken, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runId);
        if (runStatusCode is { } code && Ineligible(code) is { } notForThisStatus)
        {
            // Decided from the webhook alone: an errored run costs no Admin API call unless errored runs are wanted.
            return Done(new LineageOutcome.NotEligible(runId, notForThisStatus));
        }

        var run = await client.GetRunAsync(accountId, runId, apiToken, ct);
        if (run is not DbtCloudResult<DbtRun>.Ok { Value: var details })
        {
            return Done(run switch
            {
                DbtCloudResult<DbtRun>.Transient t => new LineageOutcome.Transient(runId, t.Reason),
                DbtCloudResult<DbtRun>.NotFound n => new LineageOutcome.Permanent(
                    runId, $"{n.Reason}: the run is not in account {accountId} at DbtCloud:BaseUrl (is it the account's Access URL?)"),
                DbtCloudResult<DbtRun>.Permanent p => new LineageOutcome.Permanent(runId, p.Reason),
                _ => throw new InvalidOperationException("unexpected result"),
            });
        }

        if (runStatusCode is null && Ineligible(details.Status) is { } notForApiStatus)
        {
            return Done(new LineageOutcome.NotEligible(runId, notForApiStatus));
        }

        if (details.IsComplete == false)
        {
            return Done(new LineageOutcome.Transient(runId, "dbt Cloud says the run has not finished (is_complete: false)"));
        }

        if (details.ArtifactsSaved == false)
        {
            return Done(new LineageOutcome.NoArtifacts(runId, "dbt Cloud saved no artifacts for it (artifacts_saved: false)"));
        }

        if (details.Steps.Count > MaxSteps)
        {
            return Done(new LineageOutcome.Permanent(runId, string.Create(CultureInfo.InvariantCulture, $"the run has {details.Steps.Count} steps, more than {MaxSteps}")));
        }

        // Every step, not only the default (last) one: that is the docs step when "generate docs" is on, and a job
        // of several commands spreads its models over steps. Without steps in the answer: the default artifact.
        int?[] steps = details.Steps.Count == 0 ? [null] : [.. details.Steps.Select(s => (int?)s.Index)];
        var answers = new DbtCloudResult<RunResultsArtifact>[steps.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, steps.Length),
            new ParallelOptions { MaxDegreeOfParallelism = StepConcurrency, CancellationToken = ct },
            async (i, token) => answers[i] = await client.GetRunResultsAsync(accountId, runId, steps[i], apiToken, token));

        if (FirstFailure(runId, answers) is { } failure)
        {
            return Done(failure);
        }

        var found = new List<StepRunResults>();
        var stepsRead = new List<int>();
        int? lastStep = null;
        for (var i = 0; i < steps.Length; i++)
        {
            if (answers[i] is DbtCloudResult<RunResultsArtifact>.Ok ok)
            {
                found.Add(new StepRunResults(steps[i] is { } s ? string.Create(CultureInfo.InvariantCulture, $"step {s}") : "run_results.json", ok.Value));
                if (steps[i] is { } index)
                {
                    stepsRead.Add(index);
                    lastStep = index;
                }
            }
        }

        if (found.Count == 0)
        {
            return Done(new LineageOutcome.NoArtifacts(runId, "no step of the run has a run_results.json (404)"));
        }

        // The manifest of the last step with results: the project as that run parsed it.
        var manifest = await client.GetManifestAsync(accountId, runId, lastStep, apiToken, ct);
        if (manifest is not DbtCloudResult<ManifestGraph>.Ok { Value: var graph })
        {
            return Done(manifest switch
            {
                DbtCloudResult<ManifestGraph>.NotFound n => new LineageOutcome.NoArtifacts(runId, n.Reason),
                DbtCloudResult<ManifestGraph>.Transient t => new LineageOutcome.Transient(runId, t.Reason),
                DbtCloudResult<ManifestGraph>.Permanent p => new LineageOutcome.Permanent(runId, p.Reason),
                _ => throw new InvalidOperationException("unexpected result"),
            });
        }

        var decision = ExposureRule.Decide(graph, RunResultsSet.Merge(found));
        return Done(new LineageOutcome.Decided(runId, decision, stepsRead));
    }

    private string? Ineligible(int status) => status switch
    {
        10 => null,
        20 when options.Value.IncludeErroredRuns => null,
        20 => "the run errored (status 20) and Exposures:IncludeErroredRuns is false",
        30 => "the run was cancelled (status 30)",
        _ => string.Create(CultureInfo.InvariantCulture, $"the run has not finished (status {status})"),
    };

    /// <summary>Any permanent failure wins (a dead letter says what to fix); else any transient one; 404s are fine.</summary>
    private static LineageOutcome? FirstFailure(string runId, DbtCloudResult<RunResultsArtifact>[] answers) =>
        answers.OfType<DbtCloudResult<RunResultsArtifact>.Permanent>().Select(p => (LineageOutcome)new LineageOutcome.Permanent(runId, p.Reason)).FirstOrDefault()
        ?? answers.OfType<DbtCloudResult<RunResultsArtifact>.Transient>().Select(t => (LineageOutcome)new LineageOutcome.Transient(runId, t.Reason)).FirstOrDefault();

    private LineageOutcome Done(LineageOutcome outcome)
    {
        LogOutcome(logger, outcome.RunId, outcome.GetType().Name, outcome.Explanation);
        return outcome;
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "Exposure lineage for dbt run {RunId}: {Outcome}: {Explanation}")]
    private static partial void LogOutcome(ILogger logger, string runId, string outcome, string explanation);
}
