using System.Globalization;
using System.Text.RegularExpressions;

namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>
/// Go's time.ParseDuration format, which Dapr uses for resiliency durations and most duration metadata:
/// a sequence of decimal numbers with units ns, us (µs), ms, s, m, h — "500ms", "1m30s", "1h". A bare "0" is
/// allowed; any other number without a unit is not.
/// </summary>
public static partial class GoDuration
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var body = text;
        var negative = false;
        if (body[0] is '-' or '+')
        {
            negative = body[0] == '-';
            body = body[1..];
        }

        if (body == "0")
        {
            return true;
        }

        var match = Sequence().Match(body);
        if (!match.Success)
        {
            return false;
        }

        double ticks = 0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unitMatch = Part().Match(part.Value);
            var number = double.Parse(unitMatch.Groups["n"].Value, CultureInfo.InvariantCulture);
            ticks += number * unitMatch.Groups["u"].Value switch
            {
                "ns" => TimeSpan.TicksPerMicrosecond / 1000.0,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
        }

        duration = TimeSpan.FromTicks((long)Math.Round(negative ? -ticks : ticks));
        return true;
    }

    [GeneratedRegex(@"^(?<part>(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")]
    private static partial Regex Sequence();

    [GeneratedRegex(@"^(?<n>\d+(\.\d*)?|\.\d+)(?<u>ns|us|µs|μs|ms|s|m|h)$")]
    private static partial Regex Part();
}
