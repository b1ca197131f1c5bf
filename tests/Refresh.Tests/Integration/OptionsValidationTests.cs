using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

public sealed class OptionsValidationTests
{
    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "Refresh:Reports:0:Report", null, "Refresh:Reports:0:Report is required" },
        { "Refresh:Reports:0:Report", "https://app.mode.com/acme/reports/abc", "Refresh:Reports:0:Report must be a Mode report token" },
        { "Refresh:Reports:0:Jobs:0", null, "Refresh:Reports:0:Jobs must list at least one dbt job id" },
        { "Refresh:Reports:0:Jobs:0", " ", "Refresh:Reports:0:Jobs:0 is empty" },
        { "Refresh:Workspace", null, "Refresh:Reports:0:Workspace is required when Refresh:Workspace is not set" },
        { "Refresh:Reports:0:Parameters", "oops", "Refresh:Reports:0:Parameters must be an object" },
        { "Refresh:Reports:0:Parameters:run", "{run_id}", "Refresh:Reports:0:Parameters uses unknown placeholder {run_id}" },
        { "Refresh:Reports:0:MinInterval", "-00:00:01", "Refresh:Reports:0:MinInterval must be between 00:00:00 and 7.00:00:00" },
        { "Refresh:Reports:0:MinInterval", "8.00:00:00", "Refresh:Reports:0:MinInterval must be between 00:00:00 and 7.00:00:00" },
        { "Mode:BaseUrl", "app.mode.com", "Mode:BaseUrl must be an absolute http(s) URL" },
        { "Mode:RequestsPerSecond", "0", "Mode:RequestsPerSecond must be between 1 and 1000" },
        { "Mode:AttemptTimeout", "00:01:00", "Mode:AttemptTimeout must not exceed Mode:TotalTimeout" },
        { "Idempotency:Lease", "00:00:05", "Idempotency:Lease must be longer than Mode:TotalTimeout" },
        { "Subscription:DeadLetterTopic", "dbt-job-run-completed", "Subscription:CompletedTopic, Subscription:DeadLetterTopic, Subscription:RunsTopic and Subscription:OutcomesTopic must differ" },
        { "Subscription:OutcomesTopic", "mode-report-runs", "Subscription:OutcomesTopic must differ" },
        { "Tracking:PollInterval", "00:00:00.010", "Tracking:PollInterval must be between" },
        { "DeadLetters:MaxEntries", "0", "DeadLetters:MaxEntries must be between 1 and 10000" },
        { "Dapr:StateStore", "", "Dapr:StateStore is required" },
        // The Dapr section and the sidecar endpoints are the service defaults both services share: same checks, same words.
        { "Dapr:CallTimeout", "00:10:00", "Dapr:CallTimeout must be between 00:00:00.1000000 and 00:05:00." },
        { "Dapr:ProbeInterval", "00:00:00", "Dapr:ProbeInterval must be between 00:00:00.0500000 and 00:10:00." },
        { "DAPR_GRPC_ENDPOINT", "unix:///tmp/dapr.sock", "DAPR_GRPC_ENDPOINT (or DAPR_GRPC_PORT) must be an http:// or https:// address" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Start_InvalidSetting_FailsWithErrorNamingTheField(string key, string? value, string expected)
    {
        var settings = RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"),
            new Dictionary<string, string?> { ["Refresh:Reports:1:Report"] = "r2", ["Refresh:Reports:1:Jobs:0"] = "*" });
        var all = new Dictionary<string, string?>(settings) { [key] = value };

        var exception = await RefreshApp.StartFailureAsync(all);

        var validation = Flatten(exception).OfType<OptionsValidationException>().ToList();
        Assert.True(validation.Count > 0, exception.ToString());
        Assert.Contains(validation.SelectMany(v => v.Failures), f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_SecondReportMissingToken_ErrorNamesThatEntry()
    {
        var settings = RefreshApp.Merge(
            RefreshApp.Report(0, "r1", "123"), RefreshApp.Report(1, "r2", "123"),
            new Dictionary<string, string?> { ["Refresh:Reports:2:Jobs:0"] = "123" });

        var exception = await RefreshApp.StartFailureAsync(settings);

        var failures = Flatten(exception).OfType<OptionsValidationException>().SelectMany(v => v.Failures).ToList();
        Assert.Contains("Refresh:Reports:2:Report is required", failures);
        Assert.DoesNotContain(failures, f => f.StartsWith("Refresh:Reports:0", StringComparison.Ordinal));
    }

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        yield return exception;
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : exception.InnerException is { } one ? [one] : [];
        foreach (var child in inner.SelectMany(Flatten))
        {
            yield return child;
        }
    }
}
