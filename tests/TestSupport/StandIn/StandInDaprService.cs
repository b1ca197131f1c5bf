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

    public Empty PublishEvent(PublishEventRequest request)
    {
        // daprd's own argument checks, before it looks for the component.
        if (string.IsNullOrEmpty(request.PubsubName))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "pubsub name is empty"));
        }

        if (string.IsNullOrEmpty(request.Topic))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"topic is empty in pubsub {request.PubsubName}"));
        }

        var data = request.Data.ToByteArray();
        var metadata = new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal);
        Sidecar.Recorder.AddPublished(new PublishedMessage(
            request.PubsubName, request.Topic, data, request.DataContentType, metadata, Sidecar.Recorder.Now));

        // Accepted means stored: daprd answers only after the broker took the message.
        if (Sidecar.Broker is { } broker)
        {
            var envelope = StandInCloudEvent.Wrap(data, request.DataContentType, metadata, request.PubsubName, request.Topic,
                Sidecar.Options.AppId, broker.Clock.GetUtcNow());
            broker.Publish(request.PubsubName, request.Topic, envelope);
        }

        return new Empty();
    }

    public GetSecretResponse GetSecret(GetSecretRequest request) => Sidecar.Secrets.Get(request.StoreName, request.Key);

    public GetBulkSecretResponse GetBulkSecret(GetBulkSecretRequest request) => Sidecar.Secrets.GetBulk(request.StoreName);

    public GetStateResponse GetState(GetStateRequest request) => Sidecar.State.Get(request);

    public GetBulkStateResponse GetBulkState(GetBulkStateRequest request) => Sidecar.State.GetBulk(request);

    public Empty SaveState(SaveStateRequest request)
    {
        Sidecar.State.Save(request);
        return new Empty();
    }

    public Empty DeleteState(DeleteStateRequest request)
    {
        Sidecar.State.Delete(request);
        return new Empty();
    }

    public Empty ExecuteStateTransaction(ExecuteStateTransactionRequest request)
    {
        Sidecar.State.Transact(request);
        return new Empty();
    }
}
