using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModeRefresh.Contracts;

namespace ModeRefresh.Refresh.Planning.Routing;

/// <summary>
/// Report parameters whose string values may name fields of the dbt run: <c>{jobId}</c>, <c>{runId}</c>,
/// <c>{environmentId}</c>, <c>{environmentName}</c>, <c>{runFinishedAt}</c>, <c>{projectId}</c>. Any other
/// <c>{name}</c> is refused at start-up (see <see cref="UnknownPlaceholders"/>), so a typo never reaches Mode as text.
/// </summary>
internal static partial class ParameterTemplate
{
    /// <summary>The placeholders and the run field each one stands for (the names of <see cref="DbtRunData"/>'s JSON).</summary>
    public static readonly IReadOnlyDictionary<string, Func<DbtRunData, string?>> Fields = new Dictionary<string, Func<DbtRunData, string?>>(StringComparer.Ordinal)
    {
        ["jobId"] = r => r.JobId,
        ["runId"] = r => r.RunId,
        ["environmentId"] = r => r.EnvironmentId,
        ["environmentName"] = r => r.EnvironmentName,
        ["runFinishedAt"] = r => r.RunFinishedAt,
        ["projectId"] = r => r.ProjectId,
    };

    /// <summary>True when <paramref name="parametersJson"/> holds at least one placeholder (else it is sent as it is).</summary>
    public static bool HasPlaceholders(string parametersJson) => Placeholder().IsMatch(parametersJson);

    /// <summary>The parameters with every placeholder replaced by the run's value (empty when the run has none).</summary>
    public static string Render(string parametersJson, DbtRunData run)
    {
        var node = JsonNode.Parse(parametersJson)!;
        return Replace(node, run)!.ToJsonString(JsonSerializerOptions.Default);
    }

    /// <summary>Each <c>{name}</c> in a string value of <paramref name="parametersJson"/> that is not a known placeholder.</summary>
    public static IEnumerable<string> UnknownPlaceholders(string parametersJson) =>
        Placeholder().Matches(parametersJson).Select(m => m.Groups["name"].Value).Where(n => !Fields.ContainsKey(n)).Distinct();

    private static JsonNode? Replace(JsonNode? node, DbtRunData run)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    obj[key] = Replace(child?.DeepClone(), run);
                }

                return obj;
            case JsonArray array:
                return new JsonArray([.. array.Select(child => Replace(child?.DeepClone(), run))]);
            case JsonValue value when value.TryGetValue<string>(out var text):
                return JsonValue.Create(Placeholder().Replace(text, m =>
                    Fields.TryGetValue(m.Groups["name"].Value, out var field) ? field(run) ?? string.Empty : m.Value));
            default:
                return node;
        }
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
