using Google.Protobuf;
using Grpc.Core;

namespace ModeRefresh.TestSupport;

/// <summary>
/// One gRPC call the stand-in received. <see cref="Outcome"/> is the status the caller was answered with;
/// a call still in flight (e.g. a hung one whose cancellation the server has not seen yet) shows
/// <see cref="StatusCode.Unknown"/> until it ends.
/// </summary>
public sealed record RecordedCall(string Method, IMessage Request, string? ApiToken, DateTimeOffset At, StatusCode Outcome);

/// <summary>
/// A publish the broker took, as the SDK sent it. Usually answered OK; the entries of a bulk publish that failed as a
/// whole because the broker refused other entries are here too, as they are published with daprd.
/// </summary>
public sealed record PublishedMessage(
    string PubsubName,
    string Topic,
    byte[] Data,
    string DataContentType,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset At);

/// <summary>A state entry: the raw bytes the SDK saved, its etag, and the item metadata (e.g. ttlInSeconds).</summary>
public sealed record StoredState(byte[] Value, string ETag, IReadOnlyDictionary<string, string> Metadata);

/// <summary>An output binding call the stand-in accepted (InvokeBinding): component name, operation, data and metadata.</summary>
public sealed record StandInBindingCall(string Name, string Operation, byte[] Data, IReadOnlyDictionary<string, string> Metadata);
