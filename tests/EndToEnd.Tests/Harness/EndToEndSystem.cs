using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Harness;

/// <summary>
/// The whole path as a user runs it: Ingress and Refresh as OS processes, each with its own stand-in sidecar
/// (its <c>DAPR_GRPC_ENDPOINT</c>/<c>DAPR_HTTP_ENDPOINT</c>), one shared broker, and a fake Mode. One per test;
/// disposing prints both processes' output into the test output.
/// </summary>
internal sealed class EndToEndSystem : IAsyncDisposable
{
    public const string WebhookKey = "e2e-webhook-key-0123456789abcdef";
    public const string ModeToken = "e2e-mode-token";
    public const string ModeSecret = "e2e-mode-secret";
    public const string Workspace = "acme";
    public const string AppToken = "e2e-app-api-token";
    public const string Topic = "dbt-job-run-completed";
    public const string DeadLetterTopic = "dbt-job-run-completed-deadletter";

    /// <summary>Small redelivery steps, and enough attempts to outlast a 30-second Mode outage.</summary>
    public static readonly StandInDeliveryOptions Delivery = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(1), MaxAttempts = 80, MaxConcurrency = 16,
    };

    private readonly Dictionary<string, string> _refreshEnvironment;

    private EndToEndSystem(StandInBroker broker, StandInSidecar ingressSidecar, StandInSidecar refreshSidecar, FakeModeServer mode,
        ServiceProcess ingress, ServiceProcess refresh, Dictionary<string, string> refreshEnvironment)
    {
        Broker = broker;
        IngressSidecar = ingressSidecar;
        RefreshSidecar = refreshSidecar;
        Mode = mode;
        Ingress = ingress;
        Refresh = refresh;
        _refreshEnvironment = refreshEnvironment;
    }

    public StandInBroker Broker { get; }
    public StandInSidecar IngressSidecar { get; }
    public StandInSidecar RefreshSidecar { get; }
    public FakeModeServer Mode { get; }
    public ServiceProcess Ingress { get; }
    public ServiceProcess Refresh { get; private set; }

    /// <summary>Routing used unless a test brings its own: job 123 runs report-a and report-b (with parameters).</summary>
    public static Dictionary<string, string?> DefaultRoutes() => new()
    {
        ["Refresh__Reports__0__Report"] = "report-a",
        ["Refresh__Reports__0__Jobs__0"] = "123",
        ["Refresh__Reports__1__Report"] = "report-b",
        ["Refresh__Reports__1__Jobs__0"] = "123",
        ["Refresh__Reports__1__Parameters__region"] = "EU",
        ["Refresh__Reports__1__Parameters__segments__0"] = "smb",
        ["Refresh__Reports__1__Parameters__segments__1"] = "enterprise",
    };

    /// <summary>Starts everything and waits until both services are healthy and Refresh's subscriptions are read.</summary>
    /// <param name="refresh">Refresh settings over the defaults (a null value removes one).</param>
    public static async Task<EndToEndSystem> StartAsync(
        IReadOnlyDictionary<string, string?>? refresh = null, IReadOnlyDictionary<string, string?>? ingress = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var broker = new StandInBroker();
        var mode = await FakeModeServer.StartAsync(ModeToken, ModeSecret, ct);
        var ingressSidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "ingress" }, ct);
        ingressSidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", WebhookKey);
        var refreshPort = ServiceProcess.FreePort();
        var refreshSidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions
        {
            Broker = broker, AppId = "refresh", AppChannel = new Uri($"http://127.0.0.1:{refreshPort}"), AppApiToken = AppToken, Delivery = Delivery,
        }, ct);
        refreshSidecar.SetSecret("secretstore", "MODE_API_TOKEN", ModeToken);
        refreshSidecar.SetSecret("secretstore", "MODE_API_SECRET", ModeSecret);

        var ingressEnv = Merge(Sidecar(ingressSidecar), new Dictionary<string, string?> { ["Ingress__PublishTimeout"] = "00:00:02" },
            ingress ?? new Dictionary<string, string?>());
        // A test that brings its own routes replaces the default ones (lists merge by index otherwise).
        var overrides = refresh ?? new Dictionary<string, string?>();
        var routes = overrides.Keys.Any(k => k.StartsWith("Refresh__Reports__", StringComparison.Ordinal))
            ? new Dictionary<string, string?>() : DefaultRoutes();
        var refreshEnv = Merge(Sidecar(refreshSidecar), new Dictionary<string, string?>
        {
            ["APP_API_TOKEN"] = AppToken,
            ["Refresh__Workspace"] = Workspace,
            ["Mode__BaseUrl"] = mode.BaseUrl,
            ["Mode__RetryBaseDelay"] = "00:00:00.100",
            ["Mode__MaxRetryAttempts"] = "2",
            ["Mode__AttemptTimeout"] = "00:00:02",
            ["Mode__TotalTimeout"] = "00:00:05",
            ["Idempotency__Lease"] = "00:00:06",
            // These scenarios count Mode's run starts; following runs adds status polls (Refresh.Tests TrackingTests
            // proves it through the stand-in's Scheduler). A scenario can turn it on through its overrides.
            ["Tracking__Enabled"] = "false",
        }, routes, overrides);

        var system = new EndToEndSystem(broker, ingressSidecar, refreshSidecar, mode,
            ServiceProcess.Start("Ingress", ServiceProcess.FreePort(), ingressEnv),
            ServiceProcess.Start("Refresh", refreshPort, refreshEnv), refreshEnv);
        try
        {
            await system.WaitUntilReadyAsync();
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts Refresh again, same port and settings, after <see cref="ServiceProcess.KillAsync"/>.</summary>
    public async Task RestartRefreshAsync()
    {
        Write(Refresh);
        await Refresh.DisposeAsync();
        Refresh = ServiceProcess.Start("Refresh", Refresh.Port, _refreshEnvironment);
        await Refresh.WaitForAsync("/healthz", TimeSpan.FromSeconds(30));
    }

    public Task<HttpResponseMessage> SendAsync(string body) => SendAsync(Encoding.UTF8.GetBytes(body), Webhooks.Sign(body));

    public async Task<HttpResponseMessage> SendAsync(byte[] body, string? signature, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/dbt") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", signature);
        }

        return await Ingress.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Refresh's <c>GET /deadletters</c>, as an operator calls it through the sidecar (with the app token).</summary>
    public async Task<JsonArray> DeadLettersAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/deadletters");
        request.Headers.Add("dapr-api-token", AppToken);
        using var response = await Refresh.Client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsArray();
    }

    /// <summary>
    /// Waits until Refresh's sidecar finished with each event: answered SUCCESS (<paramref name="copies"/> times,
    /// once per at-least-once copy) or dead-lettered. After this nothing more happens for those events.
    /// </summary>
    public Task WaitSettledAsync(IEnumerable<string> eventIds, int copies = 1, TimeSpan? timeout = null)
    {
        var ids = eventIds.ToHashSet();
        return Broker.WaitForDeliveriesAsync(deliveries =>
        {
            var dead = Broker.MessagesOn(DeadLetterTopic).Select(m => m.Id).ToHashSet();
            var done = deliveries.Where(d => d.Topic == Topic && d.Answer == StandInAnswer.Success).GroupBy(d => d.MessageId)
                .Where(g => g.Count() >= copies).Select(g => g.Key).ToHashSet();
            return ids.All(id => done.Contains(id) || dead.Contains(id));
        }, timeout ?? ModeChecks.Patience);
    }

    public Task WaitSettledAsync(params string[] eventIds) => WaitSettledAsync(eventIds, 1);

    public async ValueTask DisposeAsync()
    {
        await Ingress.DisposeAsync();
        WriteBroker();
        await Refresh.DisposeAsync();
        Write(Ingress);
        Write(Refresh);
        await RefreshSidecar.DisposeAsync();
        await IngressSidecar.DisposeAsync();
        await Mode.DisposeAsync();
    }

    private static Dictionary<string, string?> Sidecar(StandInSidecar sidecar) => new()
    {
        ["DAPR_GRPC_ENDPOINT"] = sidecar.GrpcEndpoint,
        ["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint,
    };

    private static Dictionary<string, string> Merge(params IEnumerable<KeyValuePair<string, string?>>[] layers)
    {
        var all = new Dictionary<string, string?>();
        foreach (var (k, v) in layers.SelectMany(l => l))
        {
            all[k] = v;
        }

        return all.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!);
    }

    // Before Refresh is stopped: what the stand-ins hold, so a timed-out wait tells "never sent" from "Refresh holds it".
    private void WriteBroker()
    {
        var output = TestContext.Current.TestOutputHelper;
        var now = TimeProvider.System.GetUtcNow(); // the harness's broker runs on the system clock
        var topics = string.Join(", ", Broker.Messages.GroupBy(m => m.Topic).Select(g => $"{g.Key}: {g.Count()}"));
        var answers = string.Join(", ", Broker.Deliveries.GroupBy(d => d.Answer).Select(g => $"{g.Key}: {g.Count()}"));
        output?.WriteLine($"----- broker: messages [{topics}]; delivery answers [{answers}] -----");
        foreach (var a in RefreshSidecar.InFlightDeliveries)
        {
            output?.WriteLine($"in flight to Refresh: {a.Topic} {a.MessageId} copy {a.Copy} attempt {a.Attempt}, sent {(now - a.SentAt).TotalSeconds:0.0} s ago");
        }
    }

    // Shown by the runner for failed tests: what each service logged, to see why.
    private static void Write(ServiceProcess process)
    {
        var output = TestContext.Current.TestOutputHelper;
        var lines = process.Output;
        output?.WriteLine($"----- {process.Name} output ({lines.Count} lines, last 300) -----");
        foreach (var line in lines.TakeLast(300))
        {
            output?.WriteLine(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var timeout = TimeSpan.FromSeconds(30);
        await Task.WhenAll(Ingress.WaitForAsync("/healthz", timeout), Refresh.WaitForAsync("/healthz", timeout));
        await Ingress.WaitForAsync("/readyz", timeout); // a webhook key is loaded
        // daprd asks once: a Refresh that gave no subscription for the topic would get nothing, and the test would
        // only time out later waiting for deliveries. Say so now, with what the sidecar made of the answer.
        var subscribed = await RefreshSidecar.WaitForSubscribeResultAsync(timeout);
        if (!subscribed.Subscriptions.Any(s => s.Topic == Topic))
        {
            throw new InvalidOperationException(
                $"Refresh's sidecar did not subscribe to {Topic}: GET /dapr/subscribe gave {subscribed.HttpStatus?.ToString(CultureInfo.InvariantCulture) ?? "no answer"}" +
                $" ({subscribed.Error ?? "no error"}), topics [{string.Join(", ", subscribed.Subscriptions.Select(s => s.Topic))}].");
        }
    }
}
