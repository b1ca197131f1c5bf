using System.Text;
using Google.Protobuf;
using Grpc.Net.Client;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>
/// The generated Dapr gRPC client pointed at a stand-in: the SDK's DaprClient cannot send per-entry metadata on a
/// bulk publish, nor a gRPC deadline. Plus builders for bulk publish requests.
/// </summary>
internal sealed class DaprStub : IDisposable
{
    public const string Stable = "BulkPublishEvent";
    public const string Alpha1 = "BulkPublishEventAlpha1";

    private readonly GrpcChannel _channel;

    public DaprStub(StandInSidecar sidecar)
    {
        _channel = GrpcChannel.ForAddress(sidecar.GrpcEndpoint);
        Client = new Autogen.Dapr.DaprClient(_channel);
    }

    public Autogen.Dapr.DaprClient Client { get; }

    /// <summary>Sends <paramref name="request"/> with the bulk publish method named <paramref name="method"/>.</summary>
    public async Task<Autogen.BulkPublishResponse> BulkPublishAsync(
        string method, Autogen.BulkPublishRequest request, DateTime? deadline = null, CancellationToken? ct = null) =>
        method switch
        {
            Stable => await Client.BulkPublishEventAsync(request, deadline: deadline, cancellationToken: ct ?? Sdk.Ct),
#pragma warning disable CS0612 // Obsolete in the protos, but daprd still serves it, and older clients call it: the stand-in must too.
            Alpha1 => await Client.BulkPublishEventAlpha1Async(request, deadline: deadline, cancellationToken: ct ?? Sdk.Ct),
#pragma warning restore CS0612
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "not a bulk publish method"),
        };

    /// <summary>
    /// One round trip that publishes nothing: afterwards the channel is connected and the server warm, so a call with
    /// a short deadline reaches the stand-in (and takes its fault) before the deadline passes.
    /// </summary>
    public async Task WarmUpAsync() =>
        await Client.GetStateAsync(new Autogen.GetStateRequest { StoreName = "warm-up", Key = "k" }, cancellationToken: Sdk.Ct);

    public static Autogen.BulkPublishRequestEntry Entry(
        string id, string data, string contentType = "application/json", IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entry = new Autogen.BulkPublishRequestEntry
        {
            EntryId = id, Event = ByteString.CopyFrom(data, Encoding.UTF8), ContentType = contentType,
        };
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata) entry.Metadata[key] = value;
        }

        return entry;
    }

    public static Autogen.BulkPublishRequest Request(
        string topic, IReadOnlyDictionary<string, string>? metadata, params Autogen.BulkPublishRequestEntry[] entries) =>
        Request("pubsub", topic, metadata, entries);

    public static Autogen.BulkPublishRequest Request(
        string pubsubName, string topic, IReadOnlyDictionary<string, string>? metadata, params Autogen.BulkPublishRequestEntry[] entries)
    {
        var request = new Autogen.BulkPublishRequest { PubsubName = pubsubName, Topic = topic };
        request.Entries.Add(entries);
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata) request.Metadata[key] = value;
        }

        return request;
    }

    public void Dispose() => _channel.Dispose();
}
