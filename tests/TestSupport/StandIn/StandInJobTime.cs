using System.Globalization;
using System.Text.RegularExpressions;

namespace ModeRefresh.TestSupport;

/// <summary>
/// How Dapr's Scheduler reads a job's times, ported so the stand-in accepts and refuses what it does:
/// <c>due_time</c> and <c>ttl</c> are an RFC 3339 time, a Go duration from now ("90s", "1h30m") or a non-repeating
/// ISO 8601 duration ("PT90S"), tried in that order (diagridio/go-etcd-cron v0.12.4
/// internal/scheduler/builder.go <c>parsePointInTime</c>, the version dapr/dapr v1.18.0 go.mod pins is v0.12.5,
/// unchanged there); <c>schedule</c> "@every &lt;Go duration&gt;" fires at start + n × duration (dapr/kit
/// cron/constantdelay.go, cron/parser.go).
/// </summary>
internal static partial class StandInJobTime
{
    /// <summary>Mirrors parsePointInTime: the error texts are the Scheduler's own.</summary>
    public static DateTimeOffset ParsePointInTime(string text, DateTimeOffset now, string what)
    {
        if (TryParseRfc3339(text, out var at)) return at;
        if (TryParseGoDuration(text, out var duration)) return now + duration;
        var iso = ParseIso8601Duration(text);
        if (iso is null) throw new FormatException($"{what} format not recognized");
        if (iso.Value.Repetitions > 0) throw new FormatException($"repeats not supported for {what}");
        return now.AddYears(iso.Value.Years).AddMonths(iso.Value.Months).AddDays(iso.Value.Days) + iso.Value.Time;
    }

    /// <summary>Go's <c>time.Parse(time.RFC3339, ...)</c>: a 'T', seconds, optional fraction, 'Z' or ±hh:mm.</summary>
    public static bool TryParseRfc3339(string text, out DateTimeOffset at)
    {
        at = default;
        var match = Rfc3339().Match(text);
        if (!match.Success) return false;
        // .NET keeps 7 fractional digits; Go accepts up to 9. The extra two are below the stand-in's clock resolution.
        var fraction = match.Groups["fraction"].Value;
        if (fraction.Length > 8) fraction = fraction[..8];
        var normalised = match.Groups["main"].Value + fraction + match.Groups["zone"].Value;
        return DateTimeOffset.TryParseExact(normalised, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out at);
    }

    /// <summary>Go's <c>time.ParseDuration</c>: "0", or signed decimal numbers each with a unit (ns, us, µs, ms, s, m, h).</summary>
    public static bool TryParseGoDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text is "0" or "+0" or "-0") return true;
        var match = GoDuration().Match(text);
        if (!match.Success) return false;
        decimal ticks = 0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = UnitOf().Match(part.Value);
            var number = decimal.Parse(unit.Groups["number"].Value.TrimEnd('.') is { Length: > 0 } n ? n : "0", CultureInfo.InvariantCulture);
            ticks += number * unit.Groups["unit"].Value switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
        }

        // Go's durations end at about 292 years; so do TimeSpan's ticks (well past any test).
        if (ticks > TimeSpan.MaxValue.Ticks) return false;
        duration = TimeSpan.FromTicks((long)ticks) * (match.Groups["sign"].Value == "-" ? -1 : 1);
        return true;
    }

    /// <summary>
    /// dapr/kit time/time.go <c>ParseISO8601Duration</c>, ported as written (including what it tolerates): an optional
    /// "Rn/" repetition prefix, then P[nY][nM][nW][nD][T[nH][nM][nS]] with whole numbers. Null when it fails.
    /// </summary>
    public static (int Years, int Months, int Days, TimeSpan Time, int Repetitions)? ParseIso8601Duration(string from)
    {
        var repetitions = -1;
        if (from.Length < 2) return null;
        var i = 0;
        if (from[0] == 'R')
        {
            do { i++; } while (i != from.Length && from[i] != '/');
            if (i - 1 < 1 || !int.TryParse(from[1..i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out repetitions)) return null;
            i++;
            if (i >= from.Length) return (0, 0, 0, TimeSpan.Zero, repetitions);
        }

        if (from[i] != 'P') return null;
        i++;
        int years = 0, months = 0, days = 0, start = i;
        var time = TimeSpan.Zero;
        var parsingTime = false;
        for (; i < from.Length; i++)
        {
            var c = from[i];
            if (c == 'T')
            {
                if (start != i) return null;
                parsingTime = true;
                start = i + 1;
                continue;
            }

            if (c is not ('Y' or 'W' or 'D' or 'H' or 'S' or 'M')) continue;
            var dateOnly = c is 'Y' or 'W' or 'D';
            var timeOnly = c is 'H' or 'S';
            if ((dateOnly && parsingTime) || (timeOnly && !parsingTime) || start == i) return null;
            if (!int.TryParse(from[start..i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return null;
            switch (c)
            {
                case 'Y': years = n; break;
                case 'W': days += n * 7; break;
                case 'D': days += n; break;
                case 'H': time += TimeSpan.FromHours(n); break;
                case 'S': time += TimeSpan.FromSeconds(n); break;
                case 'M' when parsingTime: time += TimeSpan.FromMinutes(n); break;
                default: months = n; break;
            }

            start = i + 1;
        }

        return (years, months, days, time, repetitions);
    }

    [GeneratedRegex(@"^(?<main>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?<fraction>\.\d+)?(?<zone>Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    [GeneratedRegex(@"^(?<sign>[-+]?)(?<part>(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$", RegexOptions.CultureInvariant)]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"^(?<number>\d+\.?\d*|\.\d+)(?<unit>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex UnitOf();
}

/// <summary>
/// When a stored job fires: go-etcd-cron v0.12.4 internal/scheduler/oneshot.go (no schedule: once, at the due time)
/// and repeats.go (a schedule: first at the due time, or one period after it was scheduled, then one period after the
/// last tick, until <c>repeats</c> ticks were counted or the next tick is past the ttl's expiry).
/// </summary>
internal sealed record StandInJobSchedule(TimeSpan? Every, DateTimeOffset? DueTime, DateTimeOffset Start, uint? Repeats, DateTimeOffset? Expiration)
{
    /// <summary>The "descriptors" dapr/kit's cron parser knows; the stand-in models only "@every".</summary>
    private static readonly HashSet<string> CronDescriptors = new(StringComparer.Ordinal)
    {
        "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
    };

    /// <summary>
    /// Parses a schedule string. A cron expression or a calendar descriptor is valid to Dapr but not modelled here:
    /// NotSupportedException (the stand-in answers Unimplemented rather than firing at the wrong time).
    /// </summary>
    public static TimeSpan ParseEvery(string schedule)
    {
        const string every = "@every ";
        if (schedule.StartsWith(every, StringComparison.Ordinal))
        {
            var text = schedule[every.Length..];
            return StandInJobTime.TryParseGoDuration(text, out var period)
                ? period
                : throw new FormatException($"failed to parse duration {schedule}: time: invalid duration \"{text}\"");
        }

        if (schedule.StartsWith('@') && !CronDescriptors.Contains(schedule))
        {
            throw new FormatException($"unrecognized descriptor: {schedule}");
        }

        throw new NotSupportedException(
            $"stand-in sidecar: only '@every <duration>' schedules are modelled, not '{schedule}' (valid for daprd)");
    }

    /// <summary>repeats.go / oneshot.go <c>Next(count, last)</c>: the tick after <paramref name="last"/>, or null when done.</summary>
    public DateTimeOffset? Next(uint count, DateTimeOffset? last)
    {
        if (Every is not { } period)
        {
            return count >= 1 ? null : DueTime;
        }

        if (Repeats is { } total && count >= total) return null;
        if (last is null) return DueTime ?? Start + period;
        var next = last.Value + period;
        return Expiration is { } exp && next > exp ? null : next;
    }
}
