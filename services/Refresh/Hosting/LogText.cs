using System.Text;

namespace ModeRefresh.Refresh.Hosting;

/// <summary>
/// Text from a request (or another service's answer) made safe for a log line: control characters (CR, LF, ESC,
/// ...) are written as <c>\uXXXX</c>, so a value cannot end the line and forge the next one, and long values are
/// cut, so one field cannot flood the log.
/// </summary>
public static class LogText
{
    public const int MaxLength = 300;

    public static string Safe(string? value) => Safe(value, MaxLength);

    /// <summary>As <see cref="Safe(string?)"/>, cut at <paramref name="maxLength"/> (for an already bounded line such as an explanation).</summary>
    public static string Safe(string? value, int maxLength)
    {
        if (value is null)
        {
            return "(none)";
        }

        var cut = value.Length > maxLength;
        var text = cut ? value[..maxLength] : value;
        if (!text.Any(char.IsControl))
        {
            return cut ? text + "..." : text;
        }

        var safe = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                safe.Append(@"\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                safe.Append(c);
            }
        }

        return cut ? safe.Append("...").ToString() : safe.ToString();
    }
}
