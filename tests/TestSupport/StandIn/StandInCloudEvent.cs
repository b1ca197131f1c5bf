using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModeRefresh.TestSupport;

/// <summary>Builds the CloudEvent envelope daprd wraps a published payload in, honouring daprd's metadata overrides.</summary>
internal static class StandInCloudEvent
{
    public const string ContentType = "application/cloudevents+json";

    public static JsonObject Wrap(
        ReadOnlySpan<byte> data, string dataContentType, IReadOnlyDictionary<string, string> metadata,
        string pubsubName, string topic, string appId, DateTimeOffset now)
    {
        // daprd: the CloudEvent's traceid/traceparent is its producer span's (a child of the call's gRPC
        // traceparent), unless metadata overrides it; cloudevent.traceparent wins over cloudevent.traceid
        // (dapr/dapr v1.18.0 pkg/runtime/pubsub/cloudevents.go NewCloudEvent). The call's own traceparent is not
        // modelled: a fresh trace stands in for a call without an override.
        var traceParent = Meta(metadata, "cloudevent.traceparent") ?? Meta(metadata, "cloudevent.traceid")
            ?? $"00-{RandomHex(16)}-{RandomHex(8)}-01";
        var contentType = string.IsNullOrEmpty(dataContentType) ? "text/plain" : dataContentType;

        // A publisher that sends a whole CloudEvent keeps its fields; daprd only fills in what is missing.
        var envelope = contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase) && TryObject(data) is { } sent
            ? sent
            : new JsonObject
            {
                ["id"] = Meta(metadata, "cloudevent.id") ?? Guid.NewGuid().ToString(),
                ["source"] = Meta(metadata, "cloudevent.source") ?? appId,
                ["type"] = Meta(metadata, "cloudevent.type") ?? "com.dapr.event.sent",
                ["specversion"] = "1.0",
                ["datacontenttype"] = contentType,
                ["data"] = DataNode(data, contentType),
            };

        envelope["id"] ??= Guid.NewGuid().ToString();
        envelope["source"] ??= appId;
        envelope["type"] ??= "com.dapr.event.sent";
        envelope["specversion"] ??= "1.0";
        if (Meta(metadata, "cloudevent.subject") is { } subject)
        {
            envelope["subject"] ??= subject;
        }

        envelope["topic"] = topic;
        envelope["pubsubname"] = pubsubName;
        envelope["traceparent"] ??= traceParent;
        envelope["traceid"] ??= traceParent;
        envelope["tracestate"] ??= Meta(metadata, "cloudevent.tracestate") ?? "";
        envelope["time"] ??= now.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture);
        return envelope;
    }

    private static string? Meta(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var value) && value.Length > 0 ? value : null;

    // JSON payloads are embedded as JSON (what subscribers' UseCloudEvents unwraps); anything else as a string.
    private static JsonNode? DataNode(ReadOnlySpan<byte> data, string contentType)
    {
        var isJson = contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase);
        if (isJson)
        {
            try
            {
                return JsonNode.Parse(data);
            }
            catch (JsonException)
            {
                // daprd passes a malformed JSON payload on as text; so does the stand-in.
            }
        }

        return JsonValue.Create(Encoding.UTF8.GetString(data));
    }

    private static JsonObject? TryObject(ReadOnlySpan<byte> data)
    {
        try
        {
            return JsonNode.Parse(data) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
