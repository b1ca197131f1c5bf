using System.Globalization;
using System.Text.RegularExpressions;
using ModeRefresh.TestSupport;
using YamlDotNet.RepresentationModel;

namespace ModeRefresh.Refresh.Tests.Support;

/// <summary>
/// The state store's outbound policy from this repository's <c>components/resiliency.yaml</c>, as the stand-in
/// sidecar's model of daprd's retry and circuit breaker. Tests that run with it fail when the file changes in a way
/// that makes daprd retry or count what Refresh treats as a lost race.
/// </summary>
internal static partial class ResiliencyFile
{
    public static StandInStateResiliency? StateStoreOutbound(string component = "statestore")
    {
        var root = Load();
        var spec = Map(root, "spec")!;
        var outbound = Map(Map(Map(spec, "targets"), "components"), component) is { } target ? Map(target, "outbound") : null;
        if (outbound is null)
        {
            return null;
        }

        var policies = Map(spec, "policies");
        StandInStateResiliency? result = null;
        if (Text(outbound, "retry") is { } retryName)
        {
            var retry = Map(Map(policies, "retries"), retryName)
                ?? throw new InvalidOperationException($"retry policy {retryName} is not defined");
            // Dapr's default maxRetries is -1 (for ever); a test cannot model that, and no store call should have it.
            var maxRetries = int.Parse(Text(retry, "maxRetries") ?? "-1", CultureInfo.InvariantCulture);
            if (maxRetries < 0)
            {
                throw new InvalidOperationException($"retry policy {retryName} retries for ever");
            }

            result = new StandInStateResiliency { MaxRetries = maxRetries };
        }

        if (Text(outbound, "circuitBreaker") is { } breakerName)
        {
            var breaker = Map(Map(policies, "circuitBreakers"), breakerName)
                ?? throw new InvalidOperationException($"circuit breaker {breakerName} is not defined");
            var trip = TripPattern().Match(Text(breaker, "trip") ?? "consecutiveFailures > 5");
            if (!trip.Success)
            {
                throw new InvalidOperationException($"circuit breaker {breakerName}: only consecutiveFailures trips are modelled");
            }

            var n = int.Parse(trip.Groups["n"].Value, CultureInfo.InvariantCulture);
            result = (result ?? new StandInStateResiliency()) with
            {
                CircuitBreaker = new StandInCircuitBreaker
                {
                    TripAtConsecutiveFailures = trip.Groups["op"].Value == ">" ? n + 1 : n,
                    Timeout = Duration(Text(breaker, "timeout") ?? "60s"),
                    Interval = Duration(Text(breaker, "interval") ?? "0s"),
                    MaxRequests = int.Parse(Text(breaker, "maxRequests") ?? "1", CultureInfo.InvariantCulture),
                },
            };
        }

        return result;
    }

    private static YamlMappingNode Load()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(TestSupport.RepoPaths.Combine("components", "resiliency.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode? Map(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value as YamlMappingNode : null;

    private static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    // Go durations as the file uses them: 500ms, 30s, 1m, 1h30m.
    private static TimeSpan Duration(string text)
    {
        var total = TimeSpan.Zero;
        foreach (Match part in DurationPart().Matches(text))
        {
            var value = double.Parse(part.Groups["v"].Value, CultureInfo.InvariantCulture);
            total += part.Groups["u"].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => throw new InvalidOperationException($"unit {part.Groups["u"].Value} in {text}"),
            };
        }

        return total;
    }

    [GeneratedRegex(@"^\s*consecutiveFailures\s*(?<op>>=|>)\s*(?<n>\d+)\s*$")]
    private static partial Regex TripPattern();

    [GeneratedRegex(@"(?<v>\d+(\.\d+)?)(?<u>ms|s|m|h)")]
    private static partial Regex DurationPart();
}
