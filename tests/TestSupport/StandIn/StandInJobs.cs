using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace ModeRefresh.TestSupport;

/// <summary>
/// Descriptors for the Jobs part of <c>dapr.proto.runtime.v1.Dapr</c> (dapr/dapr v1.18.0
/// dapr/proto/runtime/v1/dapr.proto, jobs.proto). daprd 1.18 serves the stable names and still the Alpha1 ones
/// (all that daprd 1.14–1.17 have); Dapr.Protos 1.19 generates clients for both. Dapr.Client 1.19's DaprClient has no
/// jobs methods (its internal VersionAwareDaprClient calls the stable ones first), and the Dapr.Jobs package is not
/// in our registry, so a service calls the generated client.
/// </summary>
internal static class StandInJobMethods
{
    public static readonly Method<ScheduleJobRequest, ScheduleJobResponse> ScheduleJob = Unary("ScheduleJob", ScheduleJobRequest.Parser, ScheduleJobResponse.Parser);
    public static readonly Method<ScheduleJobRequest, ScheduleJobResponse> ScheduleJobAlpha1 = Unary("ScheduleJobAlpha1", ScheduleJobRequest.Parser, ScheduleJobResponse.Parser);
    public static readonly Method<GetJobRequest, GetJobResponse> GetJob = Unary("GetJob", GetJobRequest.Parser, GetJobResponse.Parser);
    public static readonly Method<GetJobRequest, GetJobResponse> GetJobAlpha1 = Unary("GetJobAlpha1", GetJobRequest.Parser, GetJobResponse.Parser);
    public static readonly Method<DeleteJobRequest, DeleteJobResponse> DeleteJob = Unary("DeleteJob", DeleteJobRequest.Parser, DeleteJobResponse.Parser);
    public static readonly Method<DeleteJobRequest, DeleteJobResponse> DeleteJobAlpha1 = Unary("DeleteJobAlpha1", DeleteJobRequest.Parser, DeleteJobResponse.Parser);
    public static readonly Method<DeleteJobsByPrefixRequest, DeleteJobsByPrefixResponse> DeleteJobsByPrefix =
        Unary("DeleteJobsByPrefix", DeleteJobsByPrefixRequest.Parser, DeleteJobsByPrefixResponse.Parser);
    public static readonly Method<DeleteJobsByPrefixRequestAlpha1, DeleteJobsByPrefixResponseAlpha1> DeleteJobsByPrefixAlpha1 =
        Unary("DeleteJobsByPrefixAlpha1", DeleteJobsByPrefixRequestAlpha1.Parser, DeleteJobsByPrefixResponseAlpha1.Parser);
    public static readonly Method<ListJobsRequest, ListJobsResponse> ListJobs = Unary("ListJobs", ListJobsRequest.Parser, ListJobsResponse.Parser);
    public static readonly Method<ListJobsRequestAlpha1, ListJobsResponseAlpha1> ListJobsAlpha1 =
        Unary("ListJobsAlpha1", ListJobsRequestAlpha1.Parser, ListJobsResponseAlpha1.Parser);

    // Declared after the descriptors: static initialisers run in text order.
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(
        [ScheduleJob.Name, ScheduleJobAlpha1.Name, GetJob.Name, GetJobAlpha1.Name, DeleteJob.Name, DeleteJobAlpha1.Name,
         DeleteJobsByPrefix.Name, DeleteJobsByPrefixAlpha1.Name, ListJobs.Name, ListJobsAlpha1.Name],
        StringComparer.Ordinal);

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(
        string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(MethodType.Unary, StandInMethods.ServiceName, name,
            Marshallers.Create(m => m.ToByteArray(), requestParser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), responseParser.ParseFrom));
}

/// <summary>Binds the Jobs methods, each wrapped like every other call (recorded, API token, faults).</summary>
internal sealed class StandInJobMethodProvider : IServiceMethodProvider<StandInDaprService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<StandInDaprService> context)
    {
        Bind(context, StandInJobMethods.ScheduleJob, StandInJobs.Schedule);
        Bind(context, StandInJobMethods.ScheduleJobAlpha1, StandInJobs.Schedule);
        Bind(context, StandInJobMethods.GetJob, StandInJobs.Get);
        Bind(context, StandInJobMethods.GetJobAlpha1, StandInJobs.Get);
        Bind(context, StandInJobMethods.DeleteJob, StandInJobs.Delete);
        Bind(context, StandInJobMethods.DeleteJobAlpha1, StandInJobs.Delete);
        Bind(context, StandInJobMethods.DeleteJobsByPrefix, (s, r) => StandInJobs.DeleteByPrefix(s, r.NamePrefix, new DeleteJobsByPrefixResponse()));
        Bind(context, StandInJobMethods.DeleteJobsByPrefixAlpha1, (s, r) => StandInJobs.DeleteByPrefix(s, r.NamePrefix, new DeleteJobsByPrefixResponseAlpha1()));
        Bind(context, StandInJobMethods.ListJobs, (s, _) => new ListJobsResponse { Jobs = { StandInJobs.List(s) } });
        Bind(context, StandInJobMethods.ListJobsAlpha1, (s, _) => new ListJobsResponseAlpha1 { Jobs = { StandInJobs.List(s) } });
    }

    private static void Bind<TRequest, TResponse>(
        ServiceMethodProviderContext<StandInDaprService> context, Method<TRequest, TResponse> method, Func<StandInSidecar, TRequest, TResponse> handler)
        where TRequest : class, IMessage
        where TResponse : class =>
        context.AddUnaryMethod(method, metadata: [], (service, request, call) =>
            StandInMethodProvider.ServeAsync(service.Sidecar, method.Name, request, call, () => Task.FromResult(handler(service.Sidecar, request))));
}

/// <summary>
/// daprd's Jobs API handlers (dapr/dapr v1.18.0 pkg/api/universal/jobs.go): its own argument checks, then the
/// Scheduler's answer wrapped as pkg/api/errors/scheduler.go does. Jobs are the sidecar's app id's.
/// </summary>
internal static class StandInJobs
{
    public static ScheduleJobResponse Schedule(StandInSidecar sidecar, ScheduleJobRequest request)
    {
        var job = request.Job ?? throw Empty("Job");
        // v1.18.0 refuses '|' here (the Scheduler's keys join parts with "||"); master leaves it to the Scheduler.
        if (job.Name.Length == 0 || job.Name.Contains('|', StringComparison.Ordinal)) throw Empty("Name");
        if (!job.HasSchedule && !job.HasDueTime) throw Empty("Schedule");
        sidecar.Scheduler.Schedule(sidecar.Options.AppId, job, request.Overwrite);
        return new ScheduleJobResponse();
    }

    public static GetJobResponse Get(StandInSidecar sidecar, GetJobRequest request) =>
        request.Name.Length == 0 ? throw Empty("Name") : new GetJobResponse { Job = sidecar.Scheduler.Get(sidecar.Options.AppId, request.Name) };

    public static DeleteJobResponse Delete(StandInSidecar sidecar, DeleteJobRequest request)
    {
        if (request.Name.Length == 0) throw Empty("Name");
        sidecar.Scheduler.Delete(sidecar.Options.AppId, request.Name);
        return new DeleteJobResponse();
    }

    public static TResponse DeleteByPrefix<TResponse>(StandInSidecar sidecar, string prefix, TResponse response)
    {
        sidecar.Scheduler.DeleteByPrefix(sidecar.Options.AppId, prefix);
        return response;
    }

    public static IEnumerable<Job> List(StandInSidecar sidecar) => sidecar.Scheduler.List(sidecar.Options.AppId);

    // pkg/api/errors/errors.go Empty: InvalidArgument "<name> is empty".
    private static RpcException Empty(string name) => new(new Status(StatusCode.InvalidArgument, $"{name} is empty"));
}

/// <summary>
/// The Scheduler's job-name check (diagridio/go-etcd-cron v0.12.4 internal/api/validator/validator.go): '_', ':',
/// '-' and ' ' are removed, then each "||" part of the full key (app||namespace||appId||name), lower-cased, must be an
/// RFC 1123 subdomain (k8s.io/apimachinery IsDNS1123Subdomain). So a name may hold letters, digits, '.', and those
/// four characters; '/' or '#' is refused.
/// </summary>
internal static partial class StandInJobNames
{
    private const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end " +
        "with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    public static void Validate(string key, string daprdPrefix, StatusCode? daprdCode = null)
    {
        var sanitized = key.Replace("_", "", StringComparison.Ordinal).Replace(":", "", StringComparison.Ordinal)
            .Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        foreach (var segment in sanitized.ToLowerInvariant().Split("||"))
        {
            var errors = new List<string>();
            if (segment.Length > 253) errors.Add("must be no more than 253 characters");
            if (!Subdomain().IsMatch(segment)) errors.Add(SubdomainMessage);
            if (errors.Count > 0)
            {
                throw FromScheduler(daprdPrefix, StatusCode.Unknown, $"job name is invalid \"{sanitized}\": {string.Join(", ", errors)}", daprdCode);
            }
        }
    }

    /// <summary>
    /// A Scheduler error as daprd relays it: the Go client error text ("rpc error: code = X desc = ...") after daprd's
    /// prefix; the code is the Scheduler's (Unknown becoming Internal) for scheduling, always Internal for get and delete.
    /// </summary>
    public static RpcException FromScheduler(string daprdPrefix, StatusCode schedulerCode, string message, StatusCode? daprdCode = null) =>
        new(new Status(daprdCode ?? (schedulerCode == StatusCode.Unknown ? StatusCode.Internal : schedulerCode),
            $"{daprdPrefix}rpc error: code = {schedulerCode} desc = {message}"));

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Subdomain();
}

/// <summary>
/// A sidecar's end of the Scheduler stream: it calls the app as daprd's HTTP app channel does
/// (dapr/dapr v1.18.0 pkg/channel/http/http_channel.go constructJobRequest/sendJob): <c>POST {app}/job/{name}</c>,
/// <c>content-type: application/json</c>, body = the data (a google.protobuf.Value as its JSON, any other Any as its
/// raw bytes, trimmed), <c>dapr-api-token</c> when the app token is set. No traceparent: the trigger runs in the
/// stream's context, which carries no span. The answer is read as pkg/runtime/scheduler/internal/cluster/streamer.go
/// invokeApp does: 2xx success, 404 success (not retried), anything else or no answer a failure.
/// </summary>
internal sealed class StandInJobTarget(Uri? app, string? apiToken, TimeSpan attemptTimeout) : IDisposable
{
    private const string ValueTypeUrl = "type.googleapis.com/google.protobuf.Value";

    private readonly CancellationTokenSource _stopped = new();
    private readonly HttpClient? _http = app is null ? null : new HttpClient(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
    })
    { BaseAddress = app, Timeout = Timeout.InfiniteTimeSpan };

    public Uri? App => app;

    public async Task<(StandInJobResult Result, int? Status)> TriggerAsync(string name, Any? data)
    {
        if (_stopped.IsCancellationRequested) return (StandInJobResult.Undeliverable, null);
        // streamer.go: "received job, but app channel not initialized" (a daprd started without an app port).
        if (_http is null) return (StandInJobResult.Failed, null);
        if (Body(data) is not { } body) return (StandInJobResult.Failed, null);

        // daprd puts no time limit on the app's answer; the stand-in bounds it so a test cannot hang for ever.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopped.Token);
        timeout.CancelAfter(attemptTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/job/" + name) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (apiToken is not null)
            {
                request.Headers.TryAddWithoutValidation("dapr-api-token", apiToken);
            }

            using var response = await _http.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            return (status switch
            {
                >= 200 and < 300 => StandInJobResult.Success,
                404 => StandInJobResult.NotFound,
                _ => StandInJobResult.Failed,
            }, status);
        }
        catch (Exception) when (_stopped.IsCancellationRequested)
        {
            // The sidecar stopped mid-trigger: the Scheduler counts it undeliverable (loops/stream/stream.go).
            return (StandInJobResult.Undeliverable, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return (StandInJobResult.Failed, null);
        }
    }

    /// <summary>Stops taking triggers; one in flight ends as undeliverable.</summary>
    public void Dispose()
    {
        // _stopped is not disposed: a trigger in flight still reads it.
        _stopped.Cancel();
        _http?.Dispose();
    }

    /// <summary>The request body, or null where daprd v1.18.0 fails the trigger before calling the app.</summary>
    private static byte[]? Body(Any? data)
    {
        if (data is null) return [];
        if (data.TypeUrl == ValueTypeUrl)
        {
            var value = data.Unpack<Value>();
            // protojson cannot marshal a Value with no kind set (fixed on master: an empty body).
            return value.KindCase == Value.KindOneofCase.None ? null : System.Text.Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(value));
        }

        return TrimAsciiWhiteSpace(data.Value.Span);
    }

    private static byte[] TrimAsciiWhiteSpace(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0 && bytes[0] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f') bytes = bytes[1..];
        while (bytes.Length > 0 && bytes[^1] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f') bytes = bytes[..^1];
        return bytes.ToArray();
    }
}

/// <summary>
/// A sidecar's connection to the Scheduler: made once the app's port accepts a TCP connection, checked every 100 ms
/// as daprd does before it starts (dapr/dapr v1.18.0 pkg/runtime/runtime.go blockUntilAppIsReady; a sidecar without
/// an app port connects at once), and dropped when the sidecar stops.
/// </summary>
internal sealed class StandInJobsConnection : IDisposable
{
    private readonly Lock _gate = new();
    private readonly StandInJobTarget _target;
    private IDisposable? _registration;
    private bool _disposed;

    private StandInJobsConnection(StandInJobTarget target) => _target = target;

    public static StandInJobsConnection Start(StandInScheduler scheduler, StandInSidecarOptions options, CancellationToken stopping)
    {
        var connection = new StandInJobsConnection(new StandInJobTarget(options.AppChannel, options.AppApiToken, options.Delivery.AttemptTimeout));
        _ = Task.Run(async () =>
        {
            try
            {
                if (options.AppChannel is { } app)
                {
                    await WaitForPortAsync(app, stopping);
                }

                lock (connection._gate)
                {
                    if (!connection._disposed)
                    {
                        connection._registration = scheduler.Connect(options.AppId, connection._target);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The sidecar stopped before its app was up.
            }
        }, CancellationToken.None);
        return connection;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            // Leave the Scheduler first, so an in-flight trigger that now ends undeliverable goes to another sidecar, not this one.
            _registration?.Dispose();
        }

        _target.Dispose();
    }

    private static async Task WaitForPortAsync(Uri app, CancellationToken stopping)
    {
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            attempt.CancelAfter(TimeSpan.FromMilliseconds(500));
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(app.Host, app.Port, attempt.Token);
                return;
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), stopping);
            }
        }
    }
}
