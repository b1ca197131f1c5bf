using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ModeRefresh.TestSupport;

/// <summary>
/// The handlers behind <see cref="StandInMethods"/>. They run only after the API token and fault checks in
/// <see cref="StandInMethodProvider"/> passed; each answers as daprd would, or throws an RpcException with daprd's code.
/// </summary>
internal sealed class StandInDaprService(StandInSidecar sidecar)
{
    public StandInSidecar Sidecar { get; } = sidecar;

    /// <summary>
    /// An output binding call, answered as daprd v1.18.0 does (pkg/api/grpc/grpc.go InvokeBinding,
    /// pkg/runtime/processor/binding/send.go SendToOutputBinding): no operation, an unknown binding or an operation it
    /// does not list fail with Internal and "error invoking output binding {name}: ..."; otherwise the call is recorded
    /// (the stand-in's bindings answer no data). Declare a binding with <see cref="StandInSidecar.AddOutputBinding"/>.
    /// </summary>
    public InvokeBindingResponse InvokeBinding(InvokeBindingRequest request)
    {
        string? error = request.Operation.Length == 0 ? "operation field is missing from request"
            : !Sidecar.OutputBindings.TryGetValue(request.Name, out var operations) ? $"couldn't find output binding {request.Name}"
            : !operations.Contains(request.Operation)
                ? $"binding {request.Name} does not support operation {request.Operation}. supported operations:{string.Join(" ", operations)}"
                : null;
        if (error is not null)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"error invoking output binding {request.Name}: {error}"));
        }

        Sidecar.AddBindingCall(new StandInBindingCall(request.Name, request.Operation, request.Data.ToByteArray(),
            new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal)));
        return new InvokeBindingResponse();
    }

    public Empty PublishEvent(PublishEventRequest request)
    {
        CheckPubsubAndTopic(request.PubsubName, request.Topic);
        Accept(request.PubsubName, request.Topic, request.Data.ToByteArray(), request.DataContentType,
            new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal));
        return new Empty();
    }

    /// <summary>
    /// daprd's bulk publish (stable and Alpha1 alike; dapr/dapr v1.18.0 pkg/api/grpc/grpc.go bulkPublishEvent): every
    /// entry becomes its own CloudEvent, with the request's metadata under the entry's own (entry keys win). A missing
    /// or repeated entry id fails the whole call, before anything is published. Entries the broker refuses fail the
    /// whole call with Internal, while the other entries stay published (pkg/runtime/pubsub/default_bulkpub.go publishes
    /// each entry on its own and returns the first error); see <see cref="StandInBulkRefusal"/>.
    /// </summary>
    public BulkPublishResponse BulkPublishEvent(BulkPublishRequest request)
    {
        CheckPubsubAndTopic(request.PubsubName, request.Topic);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in request.Entries)
        {
            if (entry.EntryId.Length == 0 || !ids.Add(entry.EntryId))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"error when marshalling events for topic {request.Topic}: entryId is duplicated or not present for entry"));
            }
        }

        var response = new BulkPublishResponse();
        // Benchmark mode (record nothing, no broker, no refusals): accepted as soon as checked, as cheaply as possible.
        if (!Sidecar.Recorder.Enabled && Sidecar.Broker is null && !Sidecar.RefusesAnyBulkEntry) return response;

        const string refusal = "stand-in sidecar: injected entry failure";
        var refused = false;
        foreach (var entry in request.Entries)
        {
            // As daprd: an entry without metadata of its own gets none of the request's either.
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (entry.Metadata.Count > 0)
            {
                foreach (var (key, value) in request.Metadata) metadata[key] = value;
                foreach (var (key, value) in entry.Metadata) metadata[key] = value;
            }

            var data = entry.Event.ToByteArray();
            var candidate = new PublishedMessage(request.PubsubName, request.Topic, data, entry.ContentType, metadata, Sidecar.Recorder.Now);
            if (Sidecar.RefusesBulkEntry(candidate))
            {
                refused = true;
                response.FailedEntries.Add(new BulkPublishResponseFailedEntry { EntryId = entry.EntryId, Error = refusal });
                continue;
            }

            Accept(request.PubsubName, request.Topic, data, entry.ContentType, metadata);
        }

        if (refused && Sidecar.BulkRefusal == StandInBulkRefusal.WholeCallFails)
        {
            // apierrors.PubSub(name).PublishMessage (pkg/api/errors/pubsub.go): Internal, and the response stays empty.
            throw new RpcException(new Status(StatusCode.Internal,
                $"error when publishing to topic {request.Topic} in pubsub {request.PubsubName}: {refusal}"));
        }

        return response;
    }

    // daprd's own argument checks, before it looks for the component.
    private static void CheckPubsubAndTopic(string pubsubName, string topic)
    {
        if (string.IsNullOrEmpty(pubsubName))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "pubsub name is empty"));
        }

        if (string.IsNullOrEmpty(topic))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"topic is empty in pubsub {pubsubName}"));
        }
    }

    private void Accept(string pubsubName, string topic, byte[] data, string contentType, Dictionary<string, string> metadata)
    {
        Sidecar.Recorder.AddPublished(new PublishedMessage(pubsubName, topic, data, contentType, metadata, Sidecar.Recorder.Now));

        // Accepted means stored: daprd answers only after the broker took the message.
        if (Sidecar.Broker is { } broker)
        {
            var envelope = StandInCloudEvent.Wrap(data, contentType, metadata, pubsubName, topic,
                Sidecar.Options.AppId, broker.Clock.GetUtcNow());
            broker.Publish(pubsubName, topic, envelope);
        }
    }

    public GetSecretResponse GetSecret(GetSecretRequest request) => Sidecar.Secrets.Get(request.StoreName, request.Key);

    public GetBulkSecretResponse GetBulkSecret(GetBulkSecretRequest request) => Sidecar.Secrets.GetBulk(request.StoreName);

    public Task<GetStateResponse> GetStateAsync(GetStateRequest request, CancellationToken ct) => Sidecar.State.GetAsync(request, ct);

    public Task<GetBulkStateResponse> GetBulkStateAsync(GetBulkStateRequest request, CancellationToken ct) => Sidecar.State.GetBulkAsync(request, ct);

    public async Task<Empty> SaveStateAsync(SaveStateRequest request, CancellationToken ct)
    {
        await Sidecar.State.SaveAsync(request, ct);
        return new Empty();
    }

    public async Task<Empty> DeleteStateAsync(DeleteStateRequest request, CancellationToken ct)
    {
        await Sidecar.State.DeleteAsync(request, ct);
        return new Empty();
    }

    public async Task<Empty> ExecuteStateTransactionAsync(ExecuteStateTransactionRequest request, CancellationToken ct)
    {
        await Sidecar.State.TransactAsync(request, ct);
        return new Empty();
    }
}
