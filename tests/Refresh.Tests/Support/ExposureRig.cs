using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Support;

/// <summary>
/// A <see cref="RefreshApp"/> with a fake dbt Cloud holding the shared sample project's runs (<see cref="AcmeProject"/>)
/// and the dbt Cloud token in the stand-in sidecar's secret store. One per test.
/// </summary>
internal sealed class ExposureRig : IAsyncDisposable
{
    public const string DbtToken = "dbtc_test-token-0123456789";
    public const string TokenSecret = "DBT_CLOUD_API_TOKEN";

    private ExposureRig(RefreshApp app, FakeDbtCloudServer dbtCloud)
    {
        App = app;
        DbtCloud = dbtCloud;
    }

    public RefreshApp App { get; }
    public FakeDbtCloudServer DbtCloud { get; }

    /// <summary>The four scenarios' runs are added; <paramref name="settings"/> override (null value: leave out).</summary>
    public static async Task<ExposureRig> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, bool storeToken = true)
    {
        var dbtCloud = await FakeDbtCloudServer.StartAsync(DbtToken, AcmeProject.AccountId);
        foreach (var name in AcmeProject.ScenarioNames)
        {
            dbtCloud.AddRun(AcmeProject.Scenario(name));
        }

        var all = new Dictionary<string, string?>
        {
            ["Exposures:Enabled"] = "true",
            ["DbtCloud:BaseUrl"] = dbtCloud.BaseUrl,
            ["DbtCloud:MaxRetryAttempts"] = "0", // one scripted fault is then one failed call
            ["DbtCloud:RetryBaseDelay"] = "00:00:00.010",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = await RefreshApp.StartAsync(all);
        if (storeToken)
        {
            app.Sidecar.SetSecret("secretstore", TokenSecret, DbtToken);
        }

        return new ExposureRig(app, dbtCloud);
    }

    /// <summary>The webhook event of a scenario's run, as Ingress publishes it (the scenario's account, run and status).</summary>
    public static JsonObject Event(string scenario, string eventId = "wev_exp", string jobId = "123")
    {
        var run = AcmeProject.Scenario(scenario);
        var errored = run.Status == 20;
        var evt = DbtEvents.Completed(eventId: eventId, jobId: jobId, runId: run.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            runStatus: errored ? "Errored" : "Success", runStatusCode: run.Status);
        evt["accountId"] = AcmeProject.AccountId; // a number, as dbt sends it
        return evt;
    }

    /// <summary>"workspace/report" of every run Mode accepted, sorted.</summary>
    public string[] ModeRuns() => [.. App.Mode.Runs.Select(r => $"{r.Workspace}/{r.Report}").Order(StringComparer.Ordinal)];

    public string? Reason(string eventId) =>
        App.Sidecar.GetStateSnapshot("statestore").TryGetValue($"deadletter-reason:{eventId}", out var stored)
            ? Encoding.UTF8.GetString(stored.Value)
            : null;

    public async Task<(int Status, JsonObject? Body)> DecisionAsync(string runId, string? appToken = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/runs/{runId}/decision");
        if (appToken is not null)
        {
            request.Headers.Add("dapr-api-token", appToken);
        }

        using var response = await App.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await DbtCloud.DisposeAsync();
    }
}
