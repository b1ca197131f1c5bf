using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// <c>[Range(typeof(TimeSpan), min, max)]</c> without its reflection (a TypeConverter looked up at run time, which
/// trimming and Native AOT cannot see: IL2026). Same bounds (inclusive) and the same message.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TimeSpanRangeAttribute(string minimum, string maximum)
    : ValidationAttribute("The field {0} must be between {1} and {2}.")
{
    public TimeSpan Minimum { get; } = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);
    public TimeSpan Maximum { get; } = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);

    // Null passes, as with RangeAttribute ([Required] is the check for presence).
    public override bool IsValid(object? value) => value is not TimeSpan t || (t >= Minimum && t <= Maximum);

    public override string FormatErrorMessage(string name) =>
        string.Format(CultureInfo.CurrentCulture, ErrorMessageString, name, Minimum, Maximum);
}
