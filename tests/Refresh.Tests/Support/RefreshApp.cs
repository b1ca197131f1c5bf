using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Support;

/// <summary>
/// The Refresh service in a test host, wired to a stand-in Dapr sidecar and a fake Mode server on loopback,
/// with small retry delays. One per test.
/// </summary>
internal sealed class RefreshApp : IAsyncDisposable
{
    public const string Token = "mode-token";
    public const string Secret = "mode-secret";
    public const string Workspace = "acme";
    public const string Route = "/events/dbt-job-run-completed";
    public const string DeadLetterRoute = "/events/dbt-job-run-completed-deadletter";

    private readonly bool _ownsMode;

    private RefreshApp(StandInSidecar sidecar, FakeModeServer mode, Factory factory, bool ownsMode = true)
    {
        Sidecar = sidecar;
        Mode = mode;
        Host = factory;
        Client = factory.CreateClient();
        _ownsMode = ownsMode;
    }

    public StandInSidecar Sidecar { get; }
    public FakeModeServer Mode { get; }
    public WebApplicationFactory<Program> Host { get; }
    public HttpClient Client { get; }
    public TestLogs Logs => ((Factory)Host).Logs;

    /// <summary>Starts everything. <paramref name="settings"/> override the defaults (null removes one).</summary>
    public static Task<RefreshApp> StartAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        StartAsync(settings, new StandInSidecarOptions());

    /// <summary>
    /// Starts with a sidecar made from <paramref name="sidecar"/> (e.g. a state store shared with another replica) and,
    /// when given, a Mode server shared with other apps (not disposed with this one).
    /// </summary>
    public static async Task<RefreshApp> StartAsync(
        IReadOnlyDictionary<string, string?>? settings, StandInSidecarOptions sidecar, FakeModeServer? sharedMode = null)
    {
        var stateSidecar = await StandInSidecar.StartAsync(sidecar);
        var mode = sharedMode ?? await FakeModeServer.StartAsync(Token, Secret);
        stateSidecar.SetSecret("secretstore", "MODE_API_TOKEN", Token);
        stateSidecar.SetSecret("secretstore", "MODE_API_SECRET", Secret);
        var all = DefaultSettings(stateSidecar, mode);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new RefreshApp(stateSidecar, mode, new Factory(all), ownsMode: sharedMode is null);
    }

    /// <summary>Starts the host with settings expected to be rejected; returns what it threw and logged, as one AggregateException.</summary>
    public static async Task<Exception> StartFailureAsync(IReadOnlyDictionary<string, string?> settings)
    {
        await using var sidecar = await StandInSidecar.StartAsync();
        await using var mode = await FakeModeServer.StartAsync(Token, Secret);
        var all = DefaultSettings(sidecar, mode);
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        await using var factory = new Factory(all);
        var thrown = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        // When the host fails inside Run, WebApplicationFactory sometimes loses the cause and reports an
        // ObjectDisposedException instead (it races the host's disposal); the host's own failure log keeps it.
        var logged = factory.Logs.Lines.Select(l => l.Exception).OfType<Exception>();
        return new AggregateException([thrown, .. logged]);
    }

    /// <summary>Like <see cref="StartAsync"/>, but served by Kestrel on a loopback port, for Kestrel's own limits (e.g. 30 MB bodies).</summary>
    public static async Task<RefreshApp> StartOnKestrelAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var sidecar = await StandInSidecar.StartAsync();
        var mode = await FakeModeServer.StartAsync(Token, Secret);
        sidecar.SetSecret("secretstore", "MODE_API_TOKEN", Token);
        sidecar.SetSecret("secretstore", "MODE_API_SECRET", Secret);
        var all = DefaultSettings(sidecar, mode);
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var factory = new Factory(all);
        factory.UseKestrel(0);
        factory.StartServer();
        return new RefreshApp(sidecar, mode, factory);
    }

    /// <summary>
    /// Served by Kestrel on a port known before the sidecar starts, with the sidecar as daprd for app id
    /// <see cref="AppId"/>: it reads the app's subscriptions and delivers from <paramref name="broker"/>, and delivers
    /// the jobs <paramref name="scheduler"/> keeps (<c>POST /job/{name}</c>). Share the scheduler, state store, broker
    /// and Mode with a second app to model a restart, or two apps at once for two replicas (one consumer group on the
    /// broker). <paramref name="appApiToken"/> is daprd's APP_API_TOKEN; <paramref name="delivery"/> the sidecar's redelivery.
    /// </summary>
    public static async Task<RefreshApp> StartServedAsync(
        IReadOnlyDictionary<string, string?>? settings,
        StandInScheduler scheduler,
        StandInBroker broker,
        StandInStateStore? stateStore = null,
        FakeModeServer? sharedMode = null,
        string? appApiToken = null,
        StandInDeliveryOptions? delivery = null)
    {
        var port = FreePort();
        var sidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions
        {
            AppId = AppId,
            AppChannel = new Uri($"http://127.0.0.1:{port}"),
            AppApiToken = appApiToken,
            Broker = broker,
            Scheduler = scheduler,
            StateStore = stateStore,
            TimeProvider = scheduler.Clock,
            Delivery = delivery ?? new StandInDeliveryOptions(),
        });
        var mode = sharedMode ?? await FakeModeServer.StartAsync(Token, Secret);
        sidecar.SetSecret("secretstore", "MODE_API_TOKEN", Token);
        sidecar.SetSecret("secretstore", "MODE_API_SECRET", Secret);
        var all = DefaultSettings(sidecar, mode);
        all["APP_API_TOKEN"] = appApiToken;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var factory = new Factory(all);
        factory.UseKestrel(port);
        factory.StartServer();
        var app = new RefreshApp(sidecar, mode, factory, ownsMode: sharedMode is null);
        if (appApiToken is not null)
        {
            app.Client.DefaultRequestHeaders.Add("dapr-api-token", appApiToken);
        }

        await sidecar.WaitForSubscriptionsAsync(TimeSpan.FromSeconds(20));
        return app;
    }

    /// <summary>The app id of <see cref="StartServedAsync"/>'s sidecar.</summary>
    public const string AppId = "refresh";

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Dictionary<string, string?> DefaultSettings(StandInSidecar sidecar, FakeModeServer mode) => new()
    {
        ["DAPR_GRPC_ENDPOINT"] = sidecar.GrpcEndpoint,
        ["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint,
        ["Mode:BaseUrl"] = mode.BaseUrl,
        ["Mode:RetryBaseDelay"] = "00:00:00.050",
        ["Mode:MaxRetryAttempts"] = "2",
        ["Mode:TotalTimeout"] = "00:00:10",
        ["Mode:AttemptTimeout"] = "00:00:03",
        ["Refresh:Workspace"] = Workspace,
    };

    /// <summary>Settings for report <paramref name="index"/> run after the given jobs.</summary>
    public static Dictionary<string, string?> Report(int index, string report, params string[] jobs)
    {
        var settings = new Dictionary<string, string?> { [$"Refresh:Reports:{index}:Report"] = report };
        for (var j = 0; j < jobs.Length; j++)
        {
            settings[$"Refresh:Reports:{index}:Jobs:{j}"] = jobs[j];
        }

        return settings;
    }

    public static IReadOnlyDictionary<string, string?> Merge(params IEnumerable<KeyValuePair<string, string?>>[] parts) =>
        parts.SelectMany(p => p).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Delivers <paramref name="evt"/> as daprd would and returns Dapr's answer ("SUCCESS", "RETRY", "DROP").</summary>
    public async Task<string> DeliverAsync(JsonNode? evt, string? cloudEventId = null, string route = Route)
    {
        using var response = await PostEnvelopeAsync(DbtEvents.Envelope(evt, cloudEventId ?? $"ce-{Guid.NewGuid():N}"), route);
        return await AnswerOf(response);
    }

    public async Task<HttpResponseMessage> PostEnvelopeAsync(string envelope, string route = Route, string? apiToken = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(envelope, Encoding.UTF8, "application/cloudevents+json"),
        };
        if (apiToken is not null)
        {
            request.Headers.Add("dapr-api-token", apiToken);
        }

        return await Client.SendAsync(request);
    }

    public static async Task<string> AnswerOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!["status"]!.GetValue<string>();
    }

    public static AuthenticationHeaderValue BasicHeader(string token = Token, string secret = Secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{token}:{secret}")));

    /// <summary>The idempotency record for a report and dbt run, as stored, or null.</summary>
    public JsonObject? Record(string report, string runId = "12345", string workspace = Workspace) =>
        Sidecar.GetStateSnapshot("statestore").TryGetValue($"mode-run:{workspace}:{report}:{runId}", out var stored)
            ? JsonSerializer.Deserialize<JsonObject>(stored.Value)
            : null;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        if (_ownsMode)
        {
            await Mode.DisposeAsync();
        }

        await Sidecar.DisposeAsync();
    }

    /// <summary><c>GET /deadletters/{id}</c>, which must answer 200 (the body, cut, is in the failure message otherwise).</summary>
    public async Task<JsonObject> GetDeadLetterAsync(string id)
    {
        using var response = await Client.GetAsync($"/deadletters/{id}", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary><c>GET /deadletters</c>, which must answer 200: the listed entries.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListDeadLettersAsync()
    {
        using var response = await Client.GetAsync("/deadletters", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsArray();
        return [.. list.Select(n => n!.AsObject())];
    }

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        public TestLogs Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // null means "not set": the key is left out, as an absent environment variable would be.
            foreach (var (key, value) in settings.Where(kv => kv.Value is not null))
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        }
    }
}
