using System.Text.Json;

namespace ModeRefresh.TestSupport;

/// <summary>One entry of the app's <c>GET /dapr/subscribe</c> answer, as daprd reads it.</summary>
public sealed record StandInSubscription(string PubsubName, string Topic, string Route, string? DeadLetterTopic);

/// <summary>Reads the programmatic subscription list (<c>route</c>, or <c>routes.default</c>; names case-insensitive).</summary>
internal static class StandInSubscriptions
{
    public static IReadOnlyList<StandInSubscription> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var list = new List<StandInSubscription>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var pubsub = Text(item, "pubsubname");
            var topic = Text(item, "topic");
            var route = Text(item, "route") ?? (Property(item, "routes") is { ValueKind: JsonValueKind.Object } routes ? Text(routes, "default") : null);
            if (pubsub is null || topic is null || route is null)
            {
                // daprd skips entries it cannot use rather than failing the app.
                continue;
            }

            list.Add(new StandInSubscription(pubsub, topic, route.StartsWith('/') ? route : "/" + route, Text(item, "deadlettertopic")));
        }

        return list;
    }

    private static JsonElement? Property(JsonElement obj, string name)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    private static string? Text(JsonElement obj, string name) =>
        Property(obj, name) is { ValueKind: JsonValueKind.String } v && v.GetString() is { Length: > 0 } s ? s : null;
}
