using System.Net;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ModeRefresh.TestSupport;

/// <summary>
/// A stand-in for daprd, for tests only: the gRPC Dapr API (publish, secrets, state) on one loopback port and
/// the health endpoints on another, both chosen by the OS. Everything it is asked is recorded, and tests can make
/// chosen calls fail or hang. Start one per test (it is cheap) and dispose it.
/// </summary>
public sealed class StandInSidecar : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private int _httpPort;
    private int _disposed;
    private volatile bool _healthy = true;
    private volatile string? _expectedApiToken;
    private volatile int _deliveryCopies;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> _outputBindings = new(StringComparer.Ordinal);
    private readonly WaitableList<StandInBindingCall> _bindingCalls = new();
    private StandInSubscriber? _subscriber;
    private volatile Func<PublishedMessage, bool>? _refuseBulkEntry;
    private StandInJobsConnection? _jobs;
    private volatile StandInBulkRefusal _bulkRefusal;

    /// <summary>daprd's default <c>--max-body-size</c>: the largest gRPC request it accepts.</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    private StandInSidecar(StandInSidecarOptions options)
    {
        Options = options;
        Recorder = new StandInRecorder(options.TimeProvider);
        State = new StandInStateApi(options.StateStore ?? new StandInStateStore(StandInStateFlavour.Redis, options.TimeProvider),
            options.StateResiliency, options.TimeProvider, options.AppId);
        _deliveryCopies = options.Delivery.Copies;
        Scheduler = options.Scheduler ?? new StandInScheduler(options.TimeProvider);
    }

    public string GrpcEndpoint { get; private set; } = "";
    public string HttpEndpoint { get; private set; } = "";

    /// <summary>False makes <c>/v1.0/healthz</c> and <c>/v1.0/healthz/outbound</c> answer 500, as daprd does when unready.</summary>
    public bool Healthy { get => _healthy; set => _healthy = value; }

    /// <summary>
    /// True once initialised as daprd counts it: at once without an app channel; with one, only after the app's port
    /// accepted a connection and its subscriptions were asked. Until then <c>/v1.0/healthz</c> answers 500.
    /// </summary>
    public bool Initialized => _subscriber is null || _subscriber.Subscribed.IsCompletedSuccessfully;

    /// <summary>When set, gRPC calls must carry it as <c>dapr-api-token</c> or fail with Unauthenticated (and are still recorded).</summary>
    public string? ExpectedApiToken { get => _expectedApiToken; set => _expectedApiToken = value; }

    /// <summary>Fastest mode for benchmarks: accept everything and keep no record of calls or publishes.</summary>
    public bool RecordNothing { get => !Recorder.Enabled; set => Recorder.Enabled = !value; }

    /// <summary>The broker accepted publishes go to (and subscriptions read from), or null.</summary>
    public StandInBroker? Broker => Options.Broker;

    /// <summary>At-least-once on demand: each message from now on is delivered to the app this many times (≥ 1).</summary>
    public int DeliveryCopies
    {
        get => _deliveryCopies;
        set => _deliveryCopies = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "at least one copy");
    }

    /// <summary>Keeps the jobs scheduled through this sidecar and delivers its app id's jobs (see <see cref="StandInSidecarOptions.Scheduler"/>).</summary>
    public StandInScheduler Scheduler { get; }

    public IReadOnlyList<RecordedCall> Calls => Recorder.Calls;
    public IReadOnlyList<PublishedMessage> Published => Recorder.Published;

    internal StandInSidecarOptions Options { get; }
    internal StandInRecorder Recorder { get; }
    internal StandInStateApi State { get; }

    /// <summary>The state store this sidecar's state API uses (its own, or the one given in the options).</summary>
    public StandInStateStore StateStore => State.Store;

    /// <summary>Every attempt this sidecar made on its state store, daprd's retries included.</summary>
    public IReadOnlyList<StandInStateAttempt> StateAttempts => [.. State.Store.Attempts.Where(a => a.AppId == Options.AppId)];

    /// <summary>daprd's circuit breaker for <paramref name="store"/>: its state (Closed without a breaker) and how often it opened.</summary>
    public (StandInBreakerState State, int Trips) StateBreaker(string store) =>
        State.BreakerFor(store) is { } breaker ? (breaker.State, breaker.Trips) : (StandInBreakerState.Closed, 0);
    internal StandInSecrets Secrets { get; } = new();
    internal StandInFaults Faults { get; } = new();
    internal CancellationToken StoppingToken => _stopping.Token;

    public static Task<StandInSidecar> StartAsync(CancellationToken ct = default) => StartAsync(TimeProvider.System, ct);

    /// <summary>Starts with a chosen clock, which stamps calls and publishes and decides when ttlInSeconds state expires.</summary>
    public static Task<StandInSidecar> StartAsync(TimeProvider timeProvider, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return StartAsync(new StandInSidecarOptions { TimeProvider = timeProvider }, ct);
    }

    /// <summary>
    /// Starts with <paramref name="options"/>. With a broker and an app channel it also acts as the app's subscriber
    /// sidecar, as daprd does: in the background it waits until the app's port accepts connections, asks
    /// <c>GET /dapr/subscribe</c> once (a 401 or 500 then means no subscriptions, for good), then delivers.
    /// Start the app first or soon after; its subscribe endpoint must answer right the first time.
    /// </summary>
    public static async Task<StandInSidecar> StartAsync(StandInSidecarOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AppChannel is not null && options.Broker is null && options.Scheduler is null)
        {
            throw new ArgumentException("An app channel needs a broker or a scheduler to deliver from.", nameof(options));
        }

        var sidecar = new StandInSidecar(options);
        try
        {
            await sidecar.StartHostAsync(ct);
            sidecar._jobs = StandInJobsConnection.Start(sidecar.Scheduler, options, sidecar._stopping.Token);
            if (options.AppChannel is not null && options.Broker is not null)
            {
                sidecar._subscriber = new StandInSubscriber(options.Broker!, options, () => sidecar.DeliveryCopies, sidecar._stopping.Token);
                sidecar._subscriber.Start();
            }

            return sidecar;
        }
        catch
        {
            await sidecar.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until the app's subscriptions were asked and are being delivered; returns them (empty when the app's
    /// answer gave none: see <see cref="WaitForSubscribeResultAsync"/> for why).
    /// </summary>
    public async Task<IReadOnlyList<StandInSubscription>> WaitForSubscriptionsAsync(TimeSpan timeout) =>
        (await WaitForSubscribeResultAsync(timeout)).Subscriptions;

    /// <summary>Delivery attempts sent to the app and not answered yet (none without an app channel).</summary>
    public IReadOnlyList<StandInAttempt> InFlightDeliveries => _subscriber?.InFlight ?? [];

    /// <summary>Waits until the app's one <c>GET /dapr/subscribe</c> was answered (or given up on); returns what daprd made of it.</summary>
    public Task<StandInSubscribeResult> WaitForSubscribeResultAsync(TimeSpan timeout) =>
        _subscriber is null
            ? throw new InvalidOperationException("This sidecar has no app channel.")
            : _subscriber.Subscribed.WaitAsync(timeout);

    /// <summary>Declares an output binding component and the operations it lists (bindings.http: create, get, post, ...).</summary>
    public void AddOutputBinding(string name, params string[] operations) =>
        _outputBindings[name] = operations.Length == 0 ? ["create"] : operations;

    /// <summary>Every accepted output binding call, in order.</summary>
    public IReadOnlyList<StandInBindingCall> BindingCalls => _bindingCalls.Snapshot();

    /// <summary>Waits (wall clock) until the accepted binding calls satisfy <paramref name="condition"/>.</summary>
    public Task WaitForBindingCallsAsync(Func<IReadOnlyList<StandInBindingCall>, bool> condition, TimeSpan timeout) =>
        _bindingCalls.WaitAsync(condition, timeout, "Output binding calls");

    internal IReadOnlyDictionary<string, string[]> OutputBindings => _outputBindings;

    internal void AddBindingCall(StandInBindingCall call) => _bindingCalls.Add(call);

    public void SetSecret(string store, string name, string value) =>
        Secrets.Set(store, name, new Dictionary<string, string> { [name] = value });

    public void SetSecret(string store, string name, IReadOnlyDictionary<string, string> values) => Secrets.Set(store, name, values);
    public void RemoveSecret(string store, string name) => Secrets.Remove(store, name);

    /// <summary>Makes an empty secret store exist, so reads from it fail like a missing secret rather than a missing store.</summary>
    public void AddSecretStore(string store) => Secrets.DeclareStore(store);

    public IReadOnlyDictionary<string, StoredState> GetStateSnapshot(string store) => State.Store.Snapshot(store);
    public void SetState(string store, string key, byte[] value) => State.Store.Set(store, key, value);

    /// <summary>Returns the first accepted publish that matches, including ones before this call; TimeoutException after <paramref name="timeout"/>.</summary>
    public Task<PublishedMessage> WaitForPublishAsync(Func<PublishedMessage, bool> match, TimeSpan timeout) =>
        Recorder.WaitForPublishAsync(match, timeout);

    /// <summary>
    /// Faults are taken by calls as they reach the stand-in, one-shot ones first, in the order queued. A call the
    /// client cancels before it arrives takes none, so the fault waits for the next call. Unknown method names throw.
    /// </summary>
    public void FailNext(string method, StatusCode status, int times = 1) => Faults.AddNext(method, new Fault(false, status), times);
    public void FailAlways(string method, StatusCode status) => Faults.SetAlways(method, new Fault(false, status));
    public void HangNext(string method, int times = 1) => Faults.AddNext(method, new Fault(true, StatusCode.OK), times);
    /// <summary>
    /// The next call(s) of <paramref name="method"/> are served normally, but only after <paramref name="delay"/> (a slow
    /// sidecar or broker). Wall-clock time, even when the stand-in runs on a fake clock.
    /// </summary>
    public void DelayNext(string method, TimeSpan delay, int times = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(delay, TimeSpan.Zero);
        Faults.AddNext(method, new Fault(false, StatusCode.OK, delay), times);
    }

    /// <summary>
    /// The next call(s) of <paramref name="method"/> are held until <paramref name="release"/> completes, then served
    /// normally: the test decides the order in which calls reach the store. The caller's deadline still ends a hold.
    /// </summary>
    public void HoldNext(string method, Task release, int times = 1)
    {
        ArgumentNullException.ThrowIfNull(release);
        Faults.AddNext(method, new Fault(false, StatusCode.OK, Until: release), times);
    }

    public void HangAlways(string method) => Faults.SetAlways(method, new Fault(true, StatusCode.OK));
    /// <summary>
    /// The broker refuses the entries of bulk publishes (BulkPublishEvent, BulkPublishEventAlpha1) that match; the
    /// others are published. The call then fails as a whole with Internal, as daprd 1.10 to 1.18 answer whenever the
    /// component reports any failed entry (dapr/dapr v1.18.0 pkg/api/grpc/grpc.go bulkPublishEvent: a non-nil error
    /// from the publisher is returned with an empty response; pkg/runtime/pubsub/default_bulkpub.go and every
    /// components-contrib BulkPublish return an error with their failed entries). Null stops it (so does ClearFaults).
    /// </summary>
    public void FailBulkEntriesWhere(Func<PublishedMessage, bool>? refuse) =>
        FailBulkEntriesWhere(refuse, StandInBulkRefusal.WholeCallFails);

    /// <summary>As <see cref="FailBulkEntriesWhere(Func{PublishedMessage, bool}?)"/>, answered in the shape <paramref name="answer"/>.</summary>
    public void FailBulkEntriesWhere(Func<PublishedMessage, bool>? refuse, StandInBulkRefusal answer)
    {
        _bulkRefusal = answer;
        _refuseBulkEntry = refuse;
    }

    public void ClearFaults()
    {
        Faults.Clear();
        _refuseBulkEntry = null;
    }

    internal bool RefusesBulkEntry(PublishedMessage candidate) => _refuseBulkEntry?.Invoke(candidate) == true;

    internal StandInBulkRefusal BulkRefusal => _bulkRefusal;

    internal bool RefusesAnyBulkEntry => _refuseBulkEntry is not null;

    /// <summary>
    /// Stops serving, as a daprd whose process ended: both ports close and open connections drop. What it holds
    /// (secrets, state, records, faults) stays for <see cref="ResumeServingAsync"/>. Deliveries to an app channel go on.
    /// </summary>
    public async Task StopServingAsync()
    {
        if (_app is not { } app) return;
        _app = null;
        // A call hanging on a fault is cut off after this, as a dying process would cut it.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await app.StopAsync(patience.Token);
        await app.DisposeAsync();
    }

    /// <summary>Serves again on the same two ports after <see cref="StopServingAsync"/>, as a restarted daprd at the same address.</summary>
    public Task ResumeServingAsync(CancellationToken ct = default) =>
        _app is not null ? Task.CompletedTask : StartHostAsync(ct, new Uri(GrpcEndpoint).Port, _httpPort);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // Release hung calls first, or Kestrel's graceful stop would wait on them.
        await _stopping.CancelAsync();
        _jobs?.Dispose();
        _subscriber?.Dispose();
        if (_app is not null)
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(patience.Token);
            await _app.DisposeAsync();
        }

        _stopping.Dispose();
        if (Options.Scheduler is null)
        {
            Scheduler.Dispose();
        }
    }

    private async Task StartHostAsync(CancellationToken ct, int grpcPort = 0, int httpPort = 0)
    {
        // Empty builder: no appsettings file watchers (inotify instances run out when many tests start hosts),
        // no environment-driven URLs, no log noise in test output.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRouting();
        ListenOptions? grpc = null;
        ListenOptions? http = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // daprd's gRPC port speaks HTTP/2 without TLS (prior knowledge); its HTTP port speaks HTTP/1.1.
            kestrel.Listen(IPAddress.Loopback, grpcPort, o => (grpc = o).Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, httpPort, o => (http = o).Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddSingleton(this);
        builder.Services.AddSingleton<StandInDaprService>();
        // daprd's gRPC server refuses messages over --max-body-size, 4Mi by default (dapr/dapr v1.18.0
        // pkg/api/grpc/server.go MaxRecvMsgSize; cmd/daprd/options/options.go), with ResourceExhausted.
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = MaxBodyBytes);
        builder.Services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IServiceMethodProvider<StandInDaprService>, StandInMethodProvider>());
        builder.Services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IServiceMethodProvider<StandInDaprService>, StandInJobMethodProvider>());

        _app = builder.Build();
        _app.MapGrpcService<StandInDaprService>();
        _app.MapGet("/v1.0/healthz", Health);
        _app.MapGet("/v1.0/healthz/outbound", OutboundHealth);
        await _app.StartAsync(ct);

        // Kestrel writes the OS-chosen port back into the ListenOptions once bound.
        _httpPort = http!.IPEndPoint!.Port;
        GrpcEndpoint = $"http://127.0.0.1:{grpc!.IPEndPoint!.Port}";
        HttpEndpoint = $"http://127.0.0.1:{_httpPort}";
    }

    /// <summary>
    /// daprd's <c>/v1.0/healthz</c> (dapr/dapr v1.18.0 pkg/api/http/healthz.go): 500 with ERR_HEALTH_NOT_READY
    /// until every health target is ready; the "runtime" target is marked ready only when initRuntime returns
    /// (pkg/runtime/runtime.go), which is after it waited for the app's port and read its subscriptions. Health lives
    /// on the HTTP port only.
    /// </summary>
    private IResult Health(HttpContext context) =>
        context.Connection.LocalPort != _httpPort ? Results.NotFound()
        : Healthy && Initialized ? Results.NoContent()
        : Results.Json(new Dictionary<string, string>
        {
            ["errorCode"] = "ERR_HEALTH_NOT_READY",
            ["message"] = Healthy ? "dapr is not ready: [runtime]" : "dapr is not ready: [stand-in]",
        }, statusCode: StatusCodes.Status500InternalServerError);

    /// <summary>
    /// <c>/v1.0/healthz/outbound</c>: its only target ("app") is marked ready before daprd waits for the app
    /// (pkg/runtime/runtime.go), so it answers 204 while <c>/v1.0/healthz</c> still answers 500.
    /// </summary>
    private IResult OutboundHealth(HttpContext context) =>
        context.Connection.LocalPort != _httpPort ? Results.NotFound()
        : Healthy ? Results.NoContent()
        : Results.Json(new Dictionary<string, string>
        {
            ["errorCode"] = "ERR_OUTBOUND_HEALTH_NOT_READY",
            ["message"] = "dapr outbound is not ready",
        }, statusCode: StatusCodes.Status500InternalServerError);
}

/// <summary>How a bulk publish with refused entries is answered.</summary>
public enum StandInBulkRefusal
{
    /// <summary>
    /// daprd 1.10 to 1.18 with any components-contrib pub/sub: the call fails with Internal ("error when publishing
    /// to topic ... in pubsub ..."), and the entries that were not refused are published anyway.
    /// </summary>
    WholeCallFails,

    /// <summary>
    /// OK with the refused entries listed as failed. Only a pluggable (gRPC) pub/sub component can make daprd answer
    /// this way: it passes on failed entries reported without an error (dapr/dapr v1.18.0
    /// pkg/components/pubsub/pluggable.go BulkPublish).
    /// </summary>
    ListedAsFailedEntries,
}
