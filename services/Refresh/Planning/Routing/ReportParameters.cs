using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModeRefresh.Refresh.Planning.Routing;

/// <summary>Turns a configured <c>Parameters</c> section into the JSON object Mode receives.</summary>
internal static class ReportParameters
{
    /// <summary>True when the section is absent, empty, or an object; false when it is a bare value.</summary>
    public static bool IsObjectOrEmpty(IConfigurationSection? section) =>
        section is null || section.GetChildren().Any() || string.IsNullOrEmpty(section.Value);

    /// <summary>Serialized JSON object text, e.g. <c>{"region":"EU","ids":["1","2"]}</c>; <c>{}</c> when none.</summary>
    public static string ToJson(IConfigurationSection? section)
    {
        var node = section is null ? null : ToNode(section);
        return (node as JsonObject ?? []).ToJsonString(JsonSerializerOptions.Default);
    }

    private static JsonNode? ToNode(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return section.Value is null ? null : JsonValue.Create(section.Value);
        }

        // Configuration flattens JSON arrays into keys "0", "1", ...; turn them back into arrays.
        if (children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var array = new JsonArray();
            foreach (var child in children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
            {
                array.Add(ToNode(child));
            }

            return array;
        }

        var obj = new JsonObject();
        foreach (var child in children)
        {
            obj[child.Key] = ToNode(child);
        }

        return obj;
    }
}
