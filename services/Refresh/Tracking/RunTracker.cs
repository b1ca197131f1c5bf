using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.Options;
using ModeRefresh.Contracts;
using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.Mode;
using ModeRefresh.ServiceDefaults;
using ModeRefresh.Refresh.Subscription;
using ModeRefresh.Refresh.Sidecar;
using ModeRefresh.Refresh.State;

namespace ModeRefresh.Refresh.Tracking;

/// <summary>
/// Follows each accepted Mode run to its end with a Dapr job per run (<c>track:{workspace}:{report}:{run}</c>): every
/// <c>Tracking:PollInterval</c> the job calls back, the run's state is polled through the Mode client, and the job is
/// scheduled again until the run finished or <c>Tracking:Timeout</c> passed. Then the outcome is published on
/// <c>Subscription:OutcomesTopic</c> once, failures are logged at error, counted, and sent to <c>Alerts:Binding</c>.
/// The Scheduler keeps the job, so polling survives restarts and runs on one replica at a time.
/// </summary>
public sealed partial class RunTracker(
    SidecarJobs jobs,
    ModeClient mode,
    DaprClient dapr,
    JsonRecordStore records,
    IOptions<TrackingOptions> options,
    IOptions<AlertOptions> alerts,
    IOptions<DaprOptions> components,
    IOptions<SubscriptionOptions> topics,
    TimeProvider time,
    TrackingMetrics metrics,
    HistoryRecorder history,
    ILogger<RunTracker> logger)
{
    public const string JobPrefix = "track:";

    // Outcome guards outlive any redelivery of a finished job's callback (retries come seconds or minutes later).
    private static readonly TimeSpan GuardTtl = TimeSpan.FromDays(1);

    private static readonly HashSet<string> Finished = new(StringComparer.Ordinal) { "succeeded", "completed", "failed", "cancelled" };

    private TrackingOptions Options => options.Value;

    public static string JobName(string workspace, string report, string modeRunToken) =>
        $"{JobPrefix}{workspace}:{report}:{(JobNameText().IsMatch(modeRunToken) ? modeRunToken : Hash(modeRunToken))}";

    /// <summary>
    /// Starts following a run Mode accepted. Never throws: the run itself stands, and a run that cannot be followed
    /// is only logged (at error: its outcome will not be published).
    /// </summary>
    public async Task FollowAsync(DbtRunEvent evt, ReportTarget target, string modeRunToken)
    {
        if (!Options.Enabled)
        {
            return;
        }

        var now = time.GetUtcNow();
        var run = new TrackedRun
        {
            RunId = evt.Data.RunId!,
            JobId = evt.Data.JobId,
            Workspace = target.Workspace,
            Report = target.Report,
            ModeRunToken = modeRunToken,
            AcceptedAt = now,
            Deadline = now + Options.Timeout,
        };
        try
        {
            // Not overwritten: a redelivery that reaches this point again must not restart a run's clock.
            await ScheduleAsync(run, overwrite: false, CancellationToken.None);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists || ex.Status.Detail.Contains("already exists", StringComparison.Ordinal))
        {
            // Already followed.
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            LogNotFollowed(logger, ex, target.ToString(), run.RunId, LogText.Safe(modeRunToken));
        }
    }

    /// <summary>
    /// One callback of a run's job. True: done with this trigger (2xx); false: ask the Scheduler to retry it (its
    /// failure policy), because the next step could not be saved or published.
    /// </summary>
    public async Task<bool> PollAsync(string name, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        TrackedRun? run;
        try
        {
            run = JsonSerializer.Deserialize(body.Span, TrackingJsonContext.Default.TrackedRun);
        }
        catch (JsonException)
        {
            run = null;
        }

        if (run is null)
        {
            LogUnreadableJob(logger, LogText.Safe(name)); // retrying the same data cannot help
            return true;
        }

        var guard = GuardKey(run);
        try
        {
            if (!(await records.ReadBytesAsync(guard, ct)).Data.IsEmpty)
            {
                return true; // outcome already published: a redelivered callback
            }
        }
        catch (DaprException ex)
        {
            LogStepFailed(logger, ex, run.Workspace, run.Report, LogText.Safe(run.ModeRunToken), "read the outcome record");
            return false;
        }

        var (status, error) = await mode.GetRunAsync(run.Workspace, run.Report, run.ModeRunToken, ct);
        var polled = run with { Polls = run.Polls + 1, LastSeen = status?.State is { } state ? $"state {LogText.Safe(state)}" : error };
        var now = time.GetUtcNow();
        var final = status?.State is { } s && Finished.Contains(s) ? s : null;
        if (final is null && now < run.Deadline)
        {
            try
            {
                await ScheduleAsync(polled, overwrite: true, ct);
                return true;
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException)
            {
                LogStepFailed(logger, ex, run.Workspace, run.Report, LogText.Safe(run.ModeRunToken), "schedule the next poll");
                return false;
            }
        }

        var outcome = new ModeReportRunFinished
        {
            RunId = run.RunId,
            JobId = run.JobId,
            Workspace = run.Workspace,
            Report = run.Report,
            ModeRunToken = run.ModeRunToken,
            State = final ?? "timed_out",
            Succeeded = final is "succeeded" or "completed",
            AcceptedAt = run.AcceptedAt,
            CompletedAt = status?.CompletedAt,
            FinishedAt = now,
            WebUrl = status?.Links?.GetValueOrDefault("web_external_url")?.Href,
            Polls = polled.Polls,
            LastSeen = final is null ? polled.LastSeen : null,
        };
        return await FinishAsync(outcome, guard, ct);
    }

    private async Task<bool> FinishAsync(ModeReportRunFinished outcome, string guard, CancellationToken ct)
    {
        var dapr1 = components.Value;
        var data = JsonSerializer.SerializeToUtf8Bytes(outcome, ContractsJsonContext.Default.ModeReportRunFinished);
        try
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [CloudEventMetadata.Id] = $"{outcome.Workspace}:{outcome.Report}:{outcome.ModeRunToken}:finished",
                [CloudEventMetadata.Type] = CloudEventMetadata.ModeReportRunFinishedType,
                [CloudEventMetadata.PartitionKey] = $"{outcome.Workspace}:{outcome.Report}",
            };
            await dapr1.WithDeadline(t => dapr.PublishByteEventAsync(dapr1.PubsubName, topics.Value.OutcomesTopic, data, "application/json", metadata, t), ct);
        }
        catch (DaprException ex)
        {
            LogStepFailed(logger, ex, outcome.Workspace, outcome.Report, LogText.Safe(outcome.ModeRunToken), "publish the outcome");
            return false;
        }

        // After publishing: a crash in between publishes it once more on the retried callback (at least once),
        // never not at all.
        try
        {
            await records.SaveBytesAsync(guard, Encoding.UTF8.GetBytes(outcome.State), GuardTtl, ct);
        }
        catch (DaprException ex)
        {
            LogStepFailed(logger, ex, outcome.Workspace, outcome.Report, LogText.Safe(outcome.ModeRunToken), "record the published outcome");
        }

        metrics.Finished(outcome.State);
        history.Finished(outcome);
        var report = $"{outcome.Workspace}/{outcome.Report}";
        if (outcome.Succeeded)
        {
            LogSucceeded(logger, report, outcome.RunId, LogText.Safe(outcome.ModeRunToken), outcome.State, outcome.Polls);
            return true;
        }

        LogFailed(logger, report, outcome.RunId, LogText.Safe(outcome.ModeRunToken), outcome.State, LogText.Safe(outcome.LastSeen ?? "-"), LogText.Safe(outcome.WebUrl ?? "-"));
        await AlertAsync(outcome, ct);
        return true;
    }

    /// <summary>Best effort: the outcome is published and logged either way.</summary>
    private async Task AlertAsync(ModeReportRunFinished outcome, CancellationToken ct)
    {
        if (alerts.Value.Binding is not { Length: > 0 } binding)
        {
            return;
        }

        var what = outcome.State == "timed_out" ? $"did not finish within {Options.Timeout}" : $"ended {outcome.State}";
        var text = $"Mode report {outcome.Workspace}/{outcome.Report} refresh {what} (Mode run {outcome.ModeRunToken}, " +
                   $"dbt run {outcome.RunId}{(outcome.JobId is null ? "" : $" of job {outcome.JobId}")})" +
                   (outcome.WebUrl is null ? "" : $" {outcome.WebUrl}");
        var body = new AlertMessage(text, outcome);
        try
        {
            var request = new BindingRequest(binding, alerts.Value.Operation)
            {
                Data = JsonSerializer.SerializeToUtf8Bytes(body, AlertJsonContext.Default.AlertMessage),
            };
            await components.Value.WithDeadline(t => dapr.InvokeBindingAsync(request, t), ct);
        }
        catch (DaprException ex)
        {
            LogAlertFailed(logger, ex, binding, $"{outcome.Workspace}/{outcome.Report}", LogText.Safe(outcome.ModeRunToken));
        }
    }

    private Task ScheduleAsync(TrackedRun run, bool overwrite, CancellationToken ct)
    {
        var interval = Options.PollInterval;
        // Retries of a failed callback (Refresh down or restarting) go on as long as the run may still be followed.
        var retries = (uint)Math.Clamp(Math.Ceiling(Options.Timeout / interval), 1, 100_000);
        var json = JsonSerializer.Serialize(run, TrackingJsonContext.Default.TrackedRun);
        return jobs.ScheduleAsync(JobName(run.Workspace, run.Report, run.ModeRunToken), interval, json, interval, retries, overwrite, ct);
    }

    private static string GuardKey(TrackedRun run) => $"mode-run-finished:{run.Workspace}:{run.Report}:{run.ModeRunToken}";

    private static string Hash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];

    // The Scheduler's job names allow letters, digits, '.', '_', ':', '-' and space (the stand-in's StandInJobNames).
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,200}$")]
    private static partial Regex JobNameText();

    [LoggerMessage(EventId = 700, Level = LogLevel.Error,
        Message = "Mode run {ModeRunToken} of report {Report} for dbt run {RunId} will not be followed: scheduling its poll job failed")]
    private static partial void LogNotFollowed(ILogger logger, Exception exception, string report, string runId, string modeRunToken);

    [LoggerMessage(EventId = 701, Level = LogLevel.Error, Message = "Job {Name} carried no readable run; dropped")]
    private static partial void LogUnreadableJob(ILogger logger, string name);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning,
        Message = "Following Mode run {ModeRunToken} of {Workspace}/{Report}: could not {Step}; the Scheduler retries the callback")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string workspace, string report, string modeRunToken, string step);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information,
        Message = "Mode run {ModeRunToken} of report {Report} for dbt run {RunId} {State} after {Polls} poll(s)")]
    private static partial void LogSucceeded(ILogger logger, string report, string runId, string modeRunToken, string state, int polls);

    [LoggerMessage(EventId = 704, Level = LogLevel.Error,
        Message = "Mode run {ModeRunToken} of report {Report} for dbt run {RunId} did not refresh: {State} (last seen: {LastSeen}) {WebUrl}")]
    private static partial void LogFailed(ILogger logger, string report, string runId, string modeRunToken, string state, string lastSeen, string webUrl);

    [LoggerMessage(EventId = 705, Level = LogLevel.Error,
        Message = "Could not send the alert for Mode run {ModeRunToken} of {Report} to binding {Binding}")]
    private static partial void LogAlertFailed(ILogger logger, Exception exception, string binding, string report, string modeRunToken);
}

/// <summary>What an alert binding receives: <c>text</c> (what Slack and Teams incoming webhooks show) and the outcome.</summary>
public sealed record AlertMessage(string Text, ModeReportRunFinished Outcome);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(AlertMessage))]
internal sealed partial class AlertJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>The Refresh meter's count of followed runs by final state.</summary>
public sealed class TrackingMetrics
{
    public const string MeterName = RefreshMetrics.MeterName;

    private readonly Counter<long> _finished;

    public TrackingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _finished = meter.CreateCounter<long>("moderefresh.refresh.report_runs.finished", unit: "{run}",
            description: "Mode report runs followed to their end, by final state (timed_out when given up)");
    }

    public void Finished(string state) => _finished.Add(1, new KeyValuePair<string, object?>("state", state));
}
