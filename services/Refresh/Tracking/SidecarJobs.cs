using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.Sidecar;
using ModeRefresh.ServiceDefaults;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace ModeRefresh.Refresh.Tracking;

/// <summary>
/// The sidecar's Jobs API over the gRPC client generated from Dapr's protos: Dapr.Client 1.19's DaprClient has no
/// jobs methods. Same endpoint and API token as the SDK (DAPR_GRPC_ENDPOINT, DAPR_API_TOKEN). The stable
/// <c>ScheduleJob</c> is what daprd 1.18 serves beside the deprecated Alpha1 name (dapr/dapr v1.18.0
/// dapr/proto/runtime/v1/dapr.proto).
/// </summary>
public sealed class SidecarJobs : IDisposable
{
    private const string ApiTokenHeader = "dapr-api-token";
    private readonly GrpcChannel _channel;
    private readonly Autogen.Dapr.DaprClient _client;
    private readonly Metadata? _headers;
    private readonly IOptions<DaprOptions> _options;

    public SidecarJobs(IOptions<SidecarEndpoints> sidecar, IOptions<DaprOptions> options)
    {
        _options = options;
        // The endpoints AddServiceDefaults checked at start-up, the same the SDK's client uses.
        var endpoints = sidecar.Value;
        _channel = GrpcChannel.ForAddress(endpoints.GrpcAddress, SidecarChannel.Options());
        _client = new Autogen.Dapr.DaprClient(_channel);
        _headers = string.IsNullOrEmpty(endpoints.ApiToken) ? null : new Metadata { { ApiTokenHeader, endpoints.ApiToken } };
    }

    /// <summary>
    /// Schedules (or with <paramref name="overwrite"/> replaces) a one-shot job due after <paramref name="due"/>, its
    /// data a JSON object delivered back as the callback's body. A failed callback is retried every
    /// <paramref name="retryInterval"/>, at most <paramref name="maxRetries"/> times; the Scheduler keeps the job
    /// meanwhile, across app and sidecar restarts.
    /// </summary>
    /// <exception cref="RpcException">The sidecar refused or could not be reached.</exception>
    public async Task ScheduleAsync(string name, TimeSpan due, string json, TimeSpan retryInterval, uint maxRetries, bool overwrite, CancellationToken ct)
    {
        var job = new Autogen.Job
        {
            Name = name,
            // A Go duration, which the Scheduler reads relative to when it stores the job.
            DueTime = ((long)Math.Ceiling(due.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms",
            // A google.protobuf.Value reaches the app as its JSON (dapr/dapr v1.18.0 pkg/channel/http/http_channel.go constructJobRequest).
            Data = Any.Pack(JsonParser.Default.Parse<Value>(json)),
            FailurePolicy = new Autogen.JobFailurePolicy
            {
                Constant = new Autogen.JobFailurePolicyConstant { Interval = Duration.FromTimeSpan(retryInterval), MaxRetries = maxRetries },
            },
        };
        // gRPC deadlines are wall-clock times, whatever clock the service runs on.
        var deadline = DateTime.UtcNow + _options.Value.CallTimeout;
        await _client.ScheduleJobAsync(new Autogen.ScheduleJobRequest { Job = job, Overwrite = overwrite },
            new CallOptions(_headers, deadline: deadline, cancellationToken: ct));
    }

    public void Dispose() => _channel.Dispose();
}
