using System.ComponentModel.DataAnnotations;

namespace ModeRefresh.Refresh.DeadLetters;

/// <summary>The dead-letter list kept in <c>Dapr:StateStore</c> (configuration section <c>DeadLetters</c>).</summary>
public sealed class DeadLetterOptions
{
    public const string SectionName = "DeadLetters";

    /// <summary>State key of the list.</summary>
    [Required(ErrorMessage = "DeadLetters:Key is required")]
    public string Key { get; set; } = "deadletters";

    /// <summary>Newest entries kept; older ones are dropped from the list (the log keeps them).</summary>
    [Range(1, 10_000, ErrorMessage = "DeadLetters:MaxEntries must be between {1} and {2}")]
    public int MaxEntries { get; set; } = 100;

    /// <summary>How long the reason recorded for a DROP/RETRY answer waits for its dead letter.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "DeadLetters:ReasonTtl must be between {1} and {2}")]
    public TimeSpan ReasonTtl { get; set; } = TimeSpan.FromDays(7);
}
