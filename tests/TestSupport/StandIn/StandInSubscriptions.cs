using System.Text.Json;

namespace ModeRefresh.TestSupport;

/// <summary>One entry of the app's <c>GET /dapr/subscribe</c> answer, as daprd reads it.</summary>
public sealed record StandInSubscription(string PubsubName, string Topic, string Route, string? DeadLetterTopic);

/// <summary>
/// Reads the programmatic subscription list as daprd decodes it (dapr/dapr v1.18.0
/// pkg/runtime/pubsub/subscriptions.go, SubscriptionJSON): Go's encoding/json, so field names match in any case and a
/// field of the wrong type fails the whole list; <c>routes.default</c> wins over <c>route</c>; an entry without either
/// is removed (filterSubscriptions). An empty body or <c>null</c> is an empty list.
/// </summary>
internal static class StandInSubscriptions
{
    /// <exception cref="JsonException">daprd could not decode the list (it then subscribes to nothing).</exception>
    public static IReadOnlyList<StandInSubscription> Parse(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return []; // io.EOF: not an error for daprd
        }

        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"cannot unmarshal {doc.RootElement.ValueKind} into []SubscriptionJSON");
        }

        var list = new List<StandInSubscription>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Null)
            {
                continue; // decodes to a zero entry, which has no route and is filtered out
            }

            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException($"cannot unmarshal {item.ValueKind} into SubscriptionJSON");
            }

            var pubsub = Text(item, "pubsubname");
            var topic = Text(item, "topic");
            var routes = Property(item, "routes");
            if (routes is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
            {
                throw new JsonException($"cannot unmarshal {routes.Value.ValueKind} into RoutesJSON");
            }

            var defaultRoute = routes is { ValueKind: JsonValueKind.Object } r ? Text(r, "default") : null;
            var route = defaultRoute ?? Text(item, "route");
            var deadLetterTopic = Text(item, "deadlettertopic");
            if (route is null)
            {
                continue; // "topic ... has an empty routes. removing from subscriptions list"
            }

            if (pubsub is null || topic is null)
            {
                // daprd keeps such an entry, and then fails to subscribe it (no such pub/sub or topic): nothing is delivered.
                continue;
            }

            list.Add(new StandInSubscription(pubsub, topic, route.StartsWith('/') ? route : "/" + route, deadLetterTopic));
        }

        return list;
    }

    private static JsonElement? Property(JsonElement obj, string name)
    {
        JsonElement? found = null;
        foreach (var p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                found = p.Value; // encoding/json assigns every match in order: the last one wins
            }
        }

        return found;
    }

    private static string? Text(JsonElement obj, string name) => Property(obj, name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } v => v.GetString() is { Length: > 0 } s ? s : null,
        { } other => throw new JsonException($"cannot unmarshal {other.ValueKind} into string field {name}"),
    };
}
